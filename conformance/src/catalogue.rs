//! `jetspec errors`: the error catalogue joined with the documentation table, as text for people
//! and as JSON for machines.

use jetapi::doc_table::{doc_pages, documented_in, mentioned_in};
use jetapi::errors::{CATALOGUE, ErrorInfo, JetErr};
use serde::Serialize;

/// One code as `jetspec errors --json` prints it.
#[derive(Clone, Debug, Serialize)]
pub struct ErrorRow {
    /// The header symbol.
    pub name: &'static str,
    /// The numeric value.
    pub value: i32,
    /// One line on what it means.
    pub meaning: &'static str,
    /// True for codes ESE uses internally only.
    pub internal: bool,
    /// The function pages whose Return Value table lists it, in page order.
    pub documented_in: Vec<&'static str>,
    /// The function pages that name it outside their table.
    pub mentioned_in: Vec<&'static str>,
    /// Other names the documentation prints for it.
    pub aliases: Vec<&'static str>,
}

fn row(info: &ErrorInfo) -> ErrorRow {
    ErrorRow {
        name: info.name,
        value: info.value,
        meaning: info.meaning,
        internal: info.code.is_internal(),
        documented_in: documented_in(info.code),
        mentioned_in: mentioned_in(info.code),
        aliases: jetapi::errors::ALIASES
            .iter()
            .filter(|(_, code)| *code == info.code)
            .map(|(alias, _)| *alias)
            .collect(),
    }
}

/// Every code, in catalogue order.
pub fn error_rows() -> Vec<ErrorRow> {
    CATALOGUE.iter().map(row).collect()
}

/// The code named by `query`: a header name, an alias, a name without its `JET_err` prefix, or
/// a number.
pub fn find_code(query: &str) -> Option<JetErr> {
    if let Ok(value) = query.trim().parse::<i32>() {
        return JetErr::from_value(value);
    }
    JetErr::from_name(query)
        .or_else(|| JetErr::from_name(&format!("JET_err{query}")))
        .or_else(|| JetErr::from_name(&format!("JET_wrn{query}")))
}

/// The catalogue as an aligned text table.
pub fn render_table(rows: &[ErrorRow]) -> String {
    let width = rows.iter().map(|r| r.name.len()).max().unwrap_or(0);
    let mut out = format!(
        "{:>6}  {:<width$}  {:>5}  {}\n",
        "VALUE", "NAME", "PAGES", "MEANING"
    );
    for r in rows {
        let internal = if r.internal { " [internal]" } else { "" };
        out.push_str(&format!(
            "{:>6}  {:<width$}  {:>5}  {}{internal}\n",
            r.value,
            r.name,
            r.documented_in.len(),
            r.meaning
        ));
    }
    out.push_str(&format!(
        "\n{} codes; PAGES counts the function pages whose Return Value table lists the code.\n",
        rows.len()
    ));
    out
}

/// One code in detail: what it means and, page by page, when the documentation says it comes.
pub fn render_detail(code: JetErr) -> String {
    let r = row(code.info());
    let mut out = format!("{} ({})\n  {}\n", r.name, r.value, r.meaning);
    if r.internal {
        out.push_str("  Internal to the engine: never returned through the public API.\n");
    }
    if !r.aliases.is_empty() {
        out.push_str(&format!(
            "  The documentation also prints it as: {}\n",
            r.aliases.join(", ")
        ));
    }
    if r.documented_in.is_empty() {
        out.push_str("\n  No function page in scope lists it in its Return Value table.\n");
    } else {
        out.push_str(&format!(
            "\n  Listed by {} function pages:\n",
            r.documented_in.len()
        ));
    }
    for page in doc_pages() {
        for doc_row in page
            .return_codes
            .iter()
            .filter(|doc_row| doc_row.code() == code)
        {
            let since = doc_row
                .since
                .as_deref()
                .map(|s| format!(" [{s}]"))
                .unwrap_or_default();
            out.push_str(&format!(
                "  - {}{since}: {}\n",
                page.function, doc_row.condition
            ));
        }
    }
    if !r.mentioned_in.is_empty() {
        out.push_str(&format!(
            "\n  Named outside the table by: {}\n",
            r.mentioned_in.join(", ")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_found_by_name_alias_short_name_or_number() {
        assert_eq!(find_code("JET_errNoBackup"), Some(JetErr::NoBackup));
        assert_eq!(find_code("NoBackup"), Some(JetErr::NoBackup));
        assert_eq!(find_code("-520"), Some(JetErr::NoBackup));
        assert_eq!(
            find_code("TargetInstanceRunning"),
            Some(JetErr::WrnTargetInstanceRunning)
        );
        assert_eq!(find_code("JET_errInvalidgrbit"), Some(JetErr::InvalidGrbit));
        assert_eq!(find_code("-99999"), None);
        assert_eq!(find_code("Nothing"), None);
    }

    #[test]
    fn detail_lists_each_documenting_page() {
        let text = render_detail(JetErr::LogFileNotCopied);
        assert!(
            text.contains("No function page in scope lists it"),
            "{text}"
        );
        let text = render_detail(JetErr::NoBackup);
        assert!(text.contains("- JetTruncateLogInstance"), "{text}");
    }
}
