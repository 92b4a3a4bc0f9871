//! Decodes QR images with real decoders (rqrr; resvg rasterises SVG first),
//! independent of the worker's own QR code.

pub fn decode_png(png: &[u8]) -> String {
    let img = image::load_from_memory_with_format(png, image::ImageFormat::Png)
        .unwrap()
        .to_luma8();
    decode_luma(img.width() as usize, img.height() as usize, |x, y| {
        img.get_pixel(x as u32, y as u32).0[0]
    })
}

pub fn decode_svg(svg: &str) -> String {
    let tree = resvg::usvg::Tree::from_str(svg, &resvg::usvg::Options::default()).unwrap();
    let size = tree.size().to_int_size();
    let mut pixmap = resvg::tiny_skia::Pixmap::new(size.width(), size.height()).unwrap();
    resvg::render(
        &tree,
        resvg::tiny_skia::Transform::default(),
        &mut pixmap.as_mut(),
    );
    let w = size.width() as usize;
    let data = pixmap.data();
    decode_luma(w, size.height() as usize, |x, y| data[(y * w + x) * 4])
}

fn decode_luma(w: usize, h: usize, px: impl Fn(usize, usize) -> u8) -> String {
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, h, px);
    let grids = img.detect_grids();
    assert_eq!(grids.len(), 1, "expected exactly one QR code");
    grids[0].decode().unwrap().1
}
