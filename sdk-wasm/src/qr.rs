//! QR codes as inline SVG: one `<path>` of the dark modules on a white
//! square that includes the quiet zone. Colours are fixed (never
//! `currentColor`) so a dark theme cannot invert the code, and
//! `shape-rendering="crispEdges"` keeps module edges sharp at any size.

use qrcode::{Color, EcLevel, QrCode};

/// How the SVG is drawn.
pub struct QrOptions<'a> {
    /// Width and height in CSS pixels.
    pub size: u32,
    /// Quiet zone in modules (the standard asks for 4).
    pub margin: u32,
    /// Error-correction level.
    pub ecc: EcLevel,
    /// Accessible name (`aria-label`).
    pub label: &'a str,
}

pub const DEFAULT_SIZE: u32 = 256;
pub const DEFAULT_MARGIN: u32 = 4;
/// Larger margins only waste room; this also bounds the numbers written.
pub const MAX_MARGIN: u32 = 64;
pub const DEFAULT_LABEL: &str = "QR code";

/// Why no QR code was drawn.
#[derive(Debug, PartialEq, Eq)]
pub enum QrError {
    /// The text does not fit in the largest QR code at this level.
    TooLong,
}

impl QrError {
    pub fn message(&self) -> &'static str {
        match self {
            QrError::TooLong => "the text is too long for a QR code",
        }
    }
}

/// `L`, `M`, `Q` or `H` (any case); anything else is the default `M`.
pub fn ecc_level(name: &str) -> EcLevel {
    match name {
        "L" | "l" => EcLevel::L,
        "Q" | "q" => EcLevel::Q,
        "H" | "h" => EcLevel::H,
        _ => EcLevel::M,
    }
}

/// The complete `<svg>` element for `data`.
pub fn svg(data: &[u8], opts: &QrOptions) -> Result<String, QrError> {
    let code = QrCode::with_error_correction_level(data, opts.ecc).map_err(|_| QrError::TooLong)?;
    let width = code.width();
    let colors = code.to_colors();
    let margin = opts.margin.min(MAX_MARGIN);
    let full = width as u32 + 2 * margin;

    let mut s = String::with_capacity(256 + colors.len() * 2);
    s.push_str("<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"");
    push_escaped(&mut s, opts.label);
    s.push_str("\" width=\"");
    push_num(&mut s, opts.size);
    s.push_str("\" height=\"");
    push_num(&mut s, opts.size);
    s.push_str("\" viewBox=\"0 0 ");
    push_num(&mut s, full);
    s.push(' ');
    push_num(&mut s, full);
    s.push_str("\" shape-rendering=\"crispEdges\"><rect width=\"100%\" height=\"100%\" fill=\"#fff\"/><path fill=\"#000\" d=\"");
    // One horizontal run of dark modules per subpath: far shorter than a
    // square per module.
    for (y, row) in colors.chunks(width.max(1)).enumerate() {
        let mut x = 0;
        while x < row.len() {
            if row.get(x) != Some(&Color::Dark) {
                x += 1;
                continue;
            }
            let start = x;
            while row.get(x) == Some(&Color::Dark) {
                x += 1;
            }
            let run = (x - start) as u32;
            s.push('M');
            push_num(&mut s, start as u32 + margin);
            s.push(' ');
            push_num(&mut s, y as u32 + margin);
            s.push('h');
            push_num(&mut s, run);
            s.push_str("v1h-");
            push_num(&mut s, run);
            s.push('z');
        }
    }
    s.push_str("\"/></svg>");
    Ok(s)
}

/// Decimal digits without `core::fmt` (which would dominate the wasm).
fn push_num(s: &mut String, n: u32) {
    let mut digits = [0u8; 10];
    let mut len = 0;
    let mut n = n;
    loop {
        if let Some(d) = digits.get_mut(len) {
            *d = b'0' + (n % 10) as u8;
        }
        len += 1;
        n /= 10;
        if n == 0 || len == digits.len() {
            break;
        }
    }
    for d in digits.iter().take(len).rev() {
        s.push(char::from(*d));
    }
}

/// Escapes text for an attribute value.
fn push_escaped(s: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => s.push_str("&amp;"),
            '<' => s.push_str("&lt;"),
            '>' => s.push_str("&gt;"),
            '"' => s.push_str("&quot;"),
            '\'' => s.push_str("&#39;"),
            _ => s.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(label: &str) -> QrOptions<'_> {
        QrOptions {
            size: 200,
            margin: DEFAULT_MARGIN,
            ecc: EcLevel::M,
            label,
        }
    }

    /// Reads the path back into a module grid, to compare with the encoder.
    fn grid_from_path(svg: &str, full: usize) -> Vec<bool> {
        let d = svg
            .split(" d=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        let mut grid = vec![false; full * full];
        for sub in d.split('M').filter(|p| !p.is_empty()) {
            let (xy, rest) = sub.split_once('h').unwrap();
            let (x, y) = xy.split_once(' ').unwrap();
            let run: usize = rest.split_once('v').unwrap().0.parse().unwrap();
            assert_eq!(rest, format!("{run}v1h-{run}z"));
            let (x, y): (usize, usize) = (x.parse().unwrap(), y.parse().unwrap());
            for i in x..x + run {
                assert!(!grid[y * full + i], "modules drawn twice");
                grid[y * full + i] = true;
            }
        }
        grid
    }

    #[test]
    fn path_draws_exactly_the_dark_modules_inside_the_quiet_zone() {
        let text = "https://mid.example/a/cns_123#t=abcdefghijklmnopqrstuvwxyz";
        let svg = svg(text.as_bytes(), &opts("Scan to approve")).unwrap();
        let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).unwrap();
        let w = code.width();
        let full = w + 8;
        assert!(svg.contains(&format!("viewBox=\"0 0 {full} {full}\"")));
        let grid = grid_from_path(&svg, full);
        for y in 0..full {
            for x in 0..full {
                let inside = (4..4 + w).contains(&x) && (4..4 + w).contains(&y);
                let dark = inside && code[(x - 4, y - 4)] == Color::Dark;
                assert_eq!(grid[y * full + x], dark, "module {x},{y}");
            }
        }
    }

    #[test]
    fn accessible_fixed_colours_and_sized() {
        let svg = svg(b"hello", &opts("Scan \"this\" <code> & go")).unwrap();
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\""));
        assert!(svg.contains("aria-label=\"Scan &quot;this&quot; &lt;code&gt; &amp; go\""));
        assert!(svg.contains("width=\"200\" height=\"200\""));
        assert!(svg.contains("fill=\"#fff\"") && svg.contains("fill=\"#000\""));
        assert!(!svg.contains("currentColor"));
        assert!(svg.ends_with("</svg>"));
    }

    #[test]
    fn levels_margins_and_limits() {
        assert_eq!(ecc_level("h"), EcLevel::H);
        assert_eq!(ecc_level("L"), EcLevel::L);
        assert_eq!(ecc_level("x"), EcLevel::M);
        let mut o = opts("x");
        o.margin = 1000;
        let code = QrCode::new(b"m").unwrap();
        let full = code.width() as u32 + 2 * MAX_MARGIN;
        assert!(svg(b"m", &o)
            .unwrap()
            .contains(&format!("viewBox=\"0 0 {full} {full}\"")));
        assert_eq!(svg(&[b'a'; 3000], &opts("x")), Err(QrError::TooLong));
    }

    #[test]
    fn numbers_written_by_hand() {
        for n in [0, 7, 10, 99, 100, 4_294_967_295] {
            let mut s = String::new();
            push_num(&mut s, n);
            assert_eq!(s, n.to_string());
        }
    }
}
