//! `traces/README.md` carries the vocabulary table generated from the call specs.

use jetapi::vocabulary::{BEGIN_MARKER, END_MARKER, vocabulary_markdown};

#[test]
fn traces_readme_holds_the_generated_vocabulary() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../traces/README.md");
    let page = std::fs::read_to_string(&path).unwrap();
    let start = page
        .find(BEGIN_MARKER)
        .expect("traces/README.md has the begin marker");
    let end = page
        .find(END_MARKER)
        .expect("traces/README.md has the end marker")
        + END_MARKER.len();
    let expected = vocabulary_markdown();
    assert!(
        page[start..=end] == expected[..],
        "traces/README.md is out of date: replace its generated block with `jetspec trace calls`"
    );
}
