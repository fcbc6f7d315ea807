//! Edit distance between two folded words, bounded so that most pairs are
//! rejected before any table is filled.

/// Optimal-string-alignment distance (edits and adjacent swaps), or `None`
/// when it exceeds `max`.
pub(crate) fn bounded_osa(a: &[u8], b: &[u8], max: usize) -> Option<usize> {
    if a.len().abs_diff(b.len()) > max {
        return None;
    }
    if a == b {
        return Some(0);
    }
    // Letters one word has and the other lacks each need an edit (a swap
    // changes none, a substitution one on each side): most pairs of words
    // are told apart here, before the table.
    let mut counts = [0i8; 64];
    for &c in a {
        counts[usize::from(c & 63)] += 1;
    }
    for &c in b {
        counts[usize::from(c & 63)] -= 1;
    }
    let surplus: usize = counts.iter().filter(|&&n| n > 0).map(|&n| n as usize).sum();
    let deficit: usize = counts
        .iter()
        .filter(|&&n| n < 0)
        .map(|&n| n.unsigned_abs() as usize)
        .sum();
    if surplus.max(deficit) > max {
        return None;
    }
    // Rows on the stack: this runs for every pair of words compared.
    const ROW: usize = 48;
    if b.len() >= ROW {
        return (strsim_osa(a, b) <= max).then(|| strsim_osa(a, b));
    }
    let width = b.len() + 1;
    let mut rows = [[0u8; ROW]; 3];
    let (mut prev2, mut prev, mut cur) = (0, 1, 2);
    for (j, cell) in rows[prev][..width].iter_mut().enumerate() {
        *cell = j as u8;
    }
    for i in 1..=a.len() {
        rows[cur][0] = i as u8;
        let mut row_min = i as u8;
        for j in 1..=b.len() {
            let cost = u8::from(a[i - 1] != b[j - 1]);
            let mut v = (rows[prev][j] + 1)
                .min(rows[cur][j - 1] + 1)
                .min(rows[prev][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(rows[prev2][j - 2] + 1);
            }
            rows[cur][j] = v;
            row_min = row_min.min(v);
        }
        if usize::from(row_min) > max {
            return None;
        }
        (prev2, prev, cur) = (prev, cur, prev2);
    }
    let d = usize::from(rows[prev][b.len()]);
    (d <= max).then_some(d)
}

/// The plain distance for words too long for the stack rows.
fn strsim_osa(a: &[u8], b: &[u8]) -> usize {
    let width = b.len() + 1;
    let mut prev2 = vec![0usize; width];
    let mut prev: Vec<usize> = (0..width).collect();
    let mut cur = vec![0usize; width];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(prev2[j - 2] + 1);
            }
            cur[j] = v;
        }
        std::mem::swap(&mut prev2, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}
