//! Plain aligned tables for listings (`findings`, `controls`, `runs`, triage and summary),
//! fitted to 120 columns: the widest columns give way first, their long values elided in the
//! middle (`arn:aws:dms:…:ABCD`), so both ends of an id stay readable.

/// The widest a table is drawn.
pub const MAX_WIDTH: usize = 120;

/// The narrowest a column is elided to.
const MIN_COLUMN: usize = 12;

/// `text` in at most `width` characters, its middle replaced by `…` when longer.
pub fn elide_middle(text: &str, width: usize) -> String {
    let count = text.chars().count();
    if count <= width || width < 3 {
        return text.to_owned();
    }
    let keep = width - 1;
    let head = keep.div_ceil(2);
    let tail = keep - head;
    let start: String = text.chars().take(head).collect();
    let end: String = text.chars().skip(count - tail).collect();
    format!("{start}…{end}")
}

pub struct Table {
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
    /// Columns never elided: what an operator copies (run ids).
    whole: Vec<usize>,
}

impl Table {
    pub fn new(headers: &[&str]) -> Self {
        Table {
            headers: headers.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
            whole: Vec::new(),
        }
    }

    /// Keeps a column whole, however wide: its values are copied into commands.
    pub fn keep_whole(mut self, header: &str) -> Self {
        if let Some(i) = self.headers.iter().position(|h| h == header) {
            self.whole.push(i);
        }
        self
    }

    /// A row; control characters in a cell (a resource name from AWS) become visible
    /// escapes before the widths are measured.
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(
            cells
                .into_iter()
                .map(|c| super::printer::safe(&c).into_owned())
                .collect(),
        );
    }

    pub fn render(&self) -> String {
        let width = |i: usize| {
            self.rows
                .iter()
                .map(|r| r.get(i).map_or(0, |c| c.chars().count()))
                .chain([self.headers[i].chars().count()])
                .max()
                .unwrap_or(0)
        };
        let mut widths: Vec<usize> = (0..self.headers.len()).map(width).collect();
        // Narrow the widest column, one character at a time, until the table fits.
        let total = |w: &[usize]| w.iter().sum::<usize>() + 2 * w.len().saturating_sub(1);
        while total(&widths) > MAX_WIDTH {
            let Some((i, &w)) = widths
                .iter()
                .enumerate()
                .filter(|(i, _)| !self.whole.contains(i))
                .max_by_key(|(_, w)| **w)
            else {
                break;
            };
            let floor = MIN_COLUMN.max(self.headers[i].chars().count());
            if w <= floor {
                break;
            }
            widths[i] = w - 1;
        }
        let line = |cells: &[String]| {
            cells
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let c = elide_middle(c, widths[i]);
                    if i + 1 == cells.len() {
                        c
                    } else {
                        format!("{c:<w$}", w = widths[i])
                    }
                })
                .collect::<Vec<_>>()
                .join("  ")
        };
        let mut out = line(&self.headers);
        out.push('\n');
        for r in &self.rows {
            out.push_str(&line(r));
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_values_are_elided_in_the_middle_to_fit() {
        assert_eq!(elide_middle("abcdefghij", 5), "ab…ij");
        assert_eq!(elide_middle("short", 10), "short");
        let mut t = Table::new(&["ID", "NAME", "STATE"]);
        t.row(vec!["x".repeat(150), "demo-public-dms".into(), "ok".into()]);
        let text = t.render();
        assert!(
            text.lines().all(|l| l.chars().count() <= MAX_WIDTH),
            "{text}"
        );
        assert!(
            text.contains("demo-public-dms"),
            "short columns keep their values"
        );
        assert!(text.contains('…'));
    }
}
