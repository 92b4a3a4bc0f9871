//! QR images of approval links: SVG (one path, crisp at any size) and PNG
//! (1-bit greyscale), both with the standard 4-module quiet zone.

use qrcode::{Color, EcLevel, QrCode};

const QUIET_ZONE: usize = 4;
const PNG_SCALE: usize = 8;

/// Why an image could not be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QrError {
    /// The text does not fit in a QR code.
    TooLong,
}

/// The module matrix (`true` = dark), without quiet zone.
fn modules(text: &str) -> Result<(usize, Vec<bool>), QrError> {
    // Level M: survives a partly covered or glossy screen, keeps codes small.
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
        .map_err(|_| QrError::TooLong)?;
    let width = code.width();
    let dark = code
        .to_colors()
        .into_iter()
        .map(|c| c == Color::Dark)
        .collect();
    Ok((width, dark))
}

pub fn svg(text: &str) -> Result<String, QrError> {
    let (width, dark) = modules(text)?;
    let size = width + 2 * QUIET_ZONE;
    let mut path = String::new();
    for (i, _) in dark.iter().enumerate().filter(|(_, d)| **d) {
        let (x, y) = (i % width + QUIET_ZONE, i / width + QUIET_ZONE);
        path.push_str(&format!("M{x} {y}h1v1h-1z"));
    }
    Ok(format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" width="{px}" height="{px}" shape-rendering="crispEdges"><rect width="100%" height="100%" fill="#fff"/><path fill="#000" d="{path}"/></svg>"##,
        px = size * PNG_SCALE
    ))
}

pub fn png(text: &str) -> Result<Vec<u8>, QrError> {
    let (width, dark) = modules(text)?;
    let size = (width + 2 * QUIET_ZONE) * PNG_SCALE;
    let row_bytes = size.div_ceil(8);
    // Each scanline: filter byte 0, then 1-bit pixels (1 = white).
    let mut raw = Vec::with_capacity((row_bytes + 1) * size);
    for py in 0..size {
        raw.push(0);
        let my = (py / PNG_SCALE).checked_sub(QUIET_ZONE);
        let mut line = vec![0xffu8; row_bytes];
        for px in 0..size {
            let mx = (px / PNG_SCALE).checked_sub(QUIET_ZONE);
            let is_dark = match (mx, my) {
                (Some(x), Some(y)) if x < width && y < width => {
                    dark.get(y * width + x).copied().unwrap_or(false)
                }
                _ => false,
            };
            if is_dark {
                if let Some(b) = line.get_mut(px / 8) {
                    *b &= !(0x80 >> (px % 8));
                }
            }
        }
        raw.extend_from_slice(&line);
    }
    let side = u32::try_from(size).map_err(|_| QrError::TooLong)?;
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&side.to_be_bytes());
    ihdr.extend_from_slice(&side.to_be_bytes());
    // Bit depth 1, colour type 0 (greyscale), deflate, filter 0, no interlace.
    ihdr.extend_from_slice(&[1, 0, 0, 0, 0]);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(
        &mut out,
        b"IDAT",
        &miniz_oxide::deflate::compress_to_vec_zlib(&raw, 9),
    );
    chunk(&mut out, b"IEND", &[]);
    Ok(out)
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    let len = u32::try_from(data.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    let mut crc = crc32fast::Hasher::new();
    crc.update(kind);
    crc.update(data);
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    out.extend_from_slice(&crc.finalize().to_be_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINK: &str =
        "https://mid.example/a/cons_0123456789abcdef#t=AbCdEfGhIjKlMnOpQrStUvWxYz012345";

    #[test]
    fn png_is_well_formed_and_sized() {
        let img = png(LINK).unwrap();
        assert_eq!(&img[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(&img[12..16], b"IHDR");
        let side =
            usize::try_from(u32::from_be_bytes([img[16], img[17], img[18], img[19]])).unwrap();
        let (width, _) = modules(LINK).unwrap();
        assert_eq!(side, (width + 8) * PNG_SCALE);
        assert!(img.ends_with(&[0xae, 0x42, 0x60, 0x82]), "IEND CRC");
    }

    #[test]
    fn svg_draws_exactly_the_dark_modules() {
        let (_, dark) = modules(LINK).unwrap();
        let s = svg(LINK).unwrap();
        assert!(s.starts_with("<svg"));
        assert_eq!(
            s.matches("h1v1h-1z").count(),
            dark.iter().filter(|d| **d).count()
        );
    }

    #[test]
    fn oversized_text_is_an_error_not_a_panic() {
        assert_eq!(svg(&"x".repeat(5000)), Err(QrError::TooLong));
        assert_eq!(png(&"x".repeat(5000)), Err(QrError::TooLong));
    }
}
