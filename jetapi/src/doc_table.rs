//! The documented return codes: for each of the 53 function pages in scope, the rows of its
//! Return Value table in page order, and the codes it names elsewhere (parameters, remarks).
//!
//! This is the checklist behind "every documented error code". The data lives in
//! `jetapi/data/doc-table.json`, imported by `scripts/import-doc-table.py` from the team's spec
//! notes; a test keeps it equal to `../shared/spec/ese-doc-table.json` where that folder exists.

use std::sync::OnceLock;

use serde::Deserialize;

use crate::errors::JetErr;

/// One function page.
#[derive(Clone, Debug, Deserialize)]
pub struct DocPage {
    /// The function, e.g. `JetTruncateLogInstance`.
    pub function: String,
    /// The Windows version that introduced it, when the page says.
    pub introduced: Option<String>,
    /// The documented parameter names, in signature order.
    pub params: Vec<String>,
    /// The grbit names the page documents.
    pub grbits: Vec<String>,
    /// The Return Value table, in page order.
    pub return_codes: Vec<DocRow>,
    /// Codes named outside the table.
    pub remarks_codes: Vec<DocMention>,
}

/// One row of a Return Value table.
#[derive(Clone, Debug, Deserialize)]
pub struct DocRow {
    /// The code as the page prints it (possibly a misspelling; see [`DocRow::code`]).
    #[serde(rename = "code")]
    pub printed: String,
    /// The version the page attaches to the row.
    pub since: Option<String>,
    /// When the page says the code is returned (our paraphrase).
    pub condition: String,
    /// A remark on the row, e.g. "Windows 2000 only".
    pub note: Option<String>,
}

/// A code a page names outside its table.
#[derive(Clone, Debug, Deserialize)]
pub struct DocMention {
    /// The code as printed.
    #[serde(rename = "code")]
    pub printed: String,
    /// Where on the page, and why.
    #[serde(rename = "where")]
    pub place: String,
}

impl DocRow {
    /// The code this row means, resolving the documentation's misspellings.
    pub fn code(&self) -> JetErr {
        JetErr::from_name(&self.printed).expect("doc-table codes are checked against the catalogue")
    }
}

impl DocMention {
    /// The code this mention means.
    pub fn code(&self) -> JetErr {
        JetErr::from_name(&self.printed).expect("doc-table codes are checked against the catalogue")
    }
}

#[derive(Deserialize)]
struct DocFile {
    functions: Vec<DocPage>,
}

const DOC_TABLE_JSON: &str = include_str!("../data/doc-table.json");

/// Every function page, in the order of the spec notes.
pub fn doc_pages() -> &'static [DocPage] {
    static PAGES: OnceLock<Vec<DocPage>> = OnceLock::new();
    PAGES.get_or_init(|| {
        let file: DocFile =
            serde_json::from_str(DOC_TABLE_JSON).expect("jetapi/data/doc-table.json is valid");
        file.functions
    })
}

/// The page of `function`.
pub fn doc_page(function: &str) -> Option<&'static DocPage> {
    doc_pages().iter().find(|page| page.function == function)
}

/// The functions whose Return Value table lists `code`, in page order.
pub fn documented_in(code: JetErr) -> Vec<&'static str> {
    doc_pages()
        .iter()
        .filter(|page| page.return_codes.iter().any(|row| row.code() == code))
        .map(|page| page.function.as_str())
        .collect()
}

/// The functions that name `code` outside their table, in page order.
pub fn mentioned_in(code: JetErr) -> Vec<&'static str> {
    doc_pages()
        .iter()
        .filter(|page| page.remarks_codes.iter().any(|m| m.code() == code))
        .map(|page| page.function.as_str())
        .collect()
}

/// Every documented (function, code) row, in page order: 438 of them.
pub fn documented_rows() -> impl Iterator<Item = (&'static DocPage, &'static DocRow)> {
    doc_pages()
        .iter()
        .flat_map(|page| page.return_codes.iter().map(move |row| (page, row)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_printed_code_resolves_to_a_catalogue_code() {
        for page in doc_pages() {
            for row in &page.return_codes {
                assert!(
                    JetErr::from_name(&row.printed).is_some(),
                    "{}: {}",
                    page.function,
                    row.printed
                );
            }
            for m in &page.remarks_codes {
                assert!(
                    JetErr::from_name(&m.printed).is_some(),
                    "{}: {}",
                    page.function,
                    m.printed
                );
            }
        }
    }

    #[test]
    fn there_are_53_pages_and_438_rows() {
        assert_eq!(doc_pages().len(), 53);
        assert_eq!(documented_rows().count(), 438);
    }

    #[test]
    fn no_backup_is_listed_by_the_end_calls() {
        let pages = documented_in(JetErr::NoBackup);
        assert!(pages.contains(&"JetEndExternalBackupInstance2"));
        assert!(!pages.contains(&"JetBeginExternalBackup"));
    }
}
