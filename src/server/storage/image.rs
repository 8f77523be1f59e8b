//! Checking and cleaning an uploaded image before anything is stored. The bytes decide the
//! type (never the name or the declared content type); dimensions are read from the header
//! before decoding; the pixels are re-encoded so metadata and any smuggled payload are gone.
use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits, RgbImage};
use std::io::Cursor;

pub use crate::domain::event_form::MAX_IMAGE_BYTES as MAX_BYTES;
pub const MAX_SIDE: u32 = 8000;
const COVER_SIDE: u32 = 1600;
const THUMB_SIDE: u32 = 480;
const JPEG_QUALITY: u8 = 85;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageError {
    #[error("The image is larger than 10 MB. Please choose a smaller file.")]
    TooLarge,
    #[error("Please upload a JPEG, PNG or WebP image.")]
    UnsupportedType,
    #[error("The image can be at most 8000 × 8000 pixels.")]
    TooManyPixels,
    #[error("The image has too many pixels for its colour depth (about 50 megapixels at most, half that for 16-bit images). Please export a smaller one.")]
    TooMuchToDecode,
    #[error("The image file is damaged or incomplete.")]
    Damaged,
    #[error(
        "The file holds more than an image. Please export it again as a plain JPEG, PNG or WebP."
    )]
    NotJustAnImage,
}

/// The cleaned image: a cover and a thumbnail, both baseline JPEG without metadata.
pub struct PreparedImage {
    pub cover: Vec<u8>,
    pub thumbnail: Vec<u8>,
}

/// Validates and re-encodes; CPU-bound, so call it from `spawn_blocking`.
pub fn prepare(bytes: &[u8]) -> Result<PreparedImage, ImageError> {
    if bytes.len() > MAX_BYTES {
        return Err(ImageError::TooLarge);
    }
    let format = sniff(bytes).ok_or(ImageError::UnsupportedType)?;
    if contains_markup(bytes) {
        return Err(ImageError::NotJustAnImage);
    }
    check_container(bytes, format)?;
    let (width, height) = ImageReader::with_format(Cursor::new(bytes), format)
        .into_dimensions()
        .map_err(|_| ImageError::Damaged)?;
    if width == 0 || height == 0 {
        return Err(ImageError::Damaged);
    }
    if width > MAX_SIDE || height > MAX_SIDE {
        return Err(ImageError::TooManyPixels);
    }
    let image = decode(bytes, format)?;
    Ok(PreparedImage {
        cover: encode(&fit(&image, COVER_SIDE))?,
        thumbnail: encode(&fit(&image, THUMB_SIDE))?,
    })
}

fn sniff(bytes: &[u8]) -> Option<ImageFormat> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(ImageFormat::Jpeg)
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(ImageFormat::Png)
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some(ImageFormat::WebP)
    } else {
        None
    }
}

/// Markup a browser or interpreter would act on. Long enough markers that compressed pixel
/// data practically never contains them by chance.
fn contains_markup(bytes: &[u8]) -> bool {
    const MARKERS: [&[u8]; 9] = [
        b"<script",
        b"<html",
        b"<!doctype",
        b"<?php",
        b"<iframe",
        b"<body",
        b"<svg ",
        b"<svg>",
        b"<?xml",
    ];
    bytes
        .windows(9)
        .any(|w| MARKERS.iter().any(|m| w[..m.len()].eq_ignore_ascii_case(m)))
        || {
            // The last few bytes, which the 9-byte windows do not start at.
            let tail = &bytes[bytes.len().saturating_sub(8)..];
            MARKERS
                .iter()
                .any(|m| tail.windows(m.len()).any(|w| w.eq_ignore_ascii_case(m)))
        }
}

/// The file must end where the image ends: data after it is how polyglots are built.
fn check_container(bytes: &[u8], format: ImageFormat) -> Result<(), ImageError> {
    match format {
        ImageFormat::Png => {
            let mut at = 8;
            loop {
                let header = bytes.get(at..at + 8).ok_or(ImageError::Damaged)?;
                let len = u32::from_be_bytes([header[0], header[1], header[2], header[3]]) as usize;
                let end = at
                    .checked_add(12)
                    .and_then(|n| n.checked_add(len))
                    .ok_or(ImageError::Damaged)?;
                if end > bytes.len() {
                    return Err(ImageError::Damaged);
                }
                if &header[4..8] == b"IEND" {
                    return if end == bytes.len() {
                        Ok(())
                    } else {
                        Err(ImageError::NotJustAnImage)
                    };
                }
                at = end;
            }
        }
        ImageFormat::Jpeg => {
            // Entropy-coded data never holds FF D9 (FF is stuffed), so the last one ends the image.
            let last_eoi = bytes.windows(2).rposition(|w| w == [0xFF, 0xD9]);
            match last_eoi {
                Some(i) if i + 2 == bytes.len() => Ok(()),
                Some(_) => Err(ImageError::NotJustAnImage),
                None => Err(ImageError::Damaged),
            }
        }
        ImageFormat::WebP => {
            let declared = u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]) as usize;
            let expected = declared.saturating_add(8);
            match bytes.len() {
                n if n < expected => Err(ImageError::Damaged),
                n if n > expected + 1 => Err(ImageError::NotJustAnImage),
                _ => Ok(()),
            }
        }
        _ => Err(ImageError::UnsupportedType),
    }
}

/// The most decoded pixel memory one image may take: a 48-megapixel phone photo (RGB) fits.
/// With [`DECODES_AT_ONCE`] decodes at a time, uploads never need more than about 0.5 GB.
pub const MAX_DECODED_BYTES: u64 = 160 * 1024 * 1024;

/// How many images are decoded at once; further uploads wait their turn.
pub const DECODES_AT_ONCE: usize = 2;

/// [`prepare`] off the async threads, at most [`DECODES_AT_ONCE`] at a time.
pub async fn prepare_in_turn(bytes: Vec<u8>) -> Result<PreparedImage, ImageError> {
    static TURNS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(DECODES_AT_ONCE);
    // The semaphore is never closed, so acquiring cannot fail.
    let _turn = TURNS.acquire().await.ok();
    tokio::task::spawn_blocking(move || prepare(&bytes))
        .await
        .unwrap_or(Err(ImageError::Damaged))
}

fn decode(bytes: &[u8], format: ImageFormat) -> Result<DynamicImage, ImageError> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    // The decoder's own buffers beside the pixels.
    limits.max_alloc = Some(MAX_DECODED_BYTES + 16 * 1024 * 1024);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(|_| ImageError::Damaged)?;
    // Known from the header, before a pixel is decoded.
    if decoder.total_bytes() > MAX_DECODED_BYTES {
        return Err(ImageError::TooMuchToDecode);
    }
    // Cameras store rotation as metadata; apply it before the metadata is dropped.
    let orientation = decoder.orientation().map_err(|_| ImageError::Damaged)?;
    let mut image = DynamicImage::from_decoder(decoder).map_err(|_| ImageError::Damaged)?;
    // 16-bit and float pixels: scaling them would take two to four times the memory of 8-bit,
    // and JPEG keeps 8 bits anyway.
    if !matches!(
        image,
        DynamicImage::ImageRgb8(_)
            | DynamicImage::ImageRgba8(_)
            | DynamicImage::ImageLuma8(_)
            | DynamicImage::ImageLumaA8(_)
    ) {
        image = if image.color().has_alpha() {
            DynamicImage::ImageRgba8(image.to_rgba8())
        } else {
            DynamicImage::ImageRgb8(image.to_rgb8())
        };
    }
    image.apply_orientation(orientation);
    Ok(image)
}

/// Scales down to fit a square of `side`; never scales up.
fn fit(image: &DynamicImage, side: u32) -> RgbImage {
    let scaled = if image.width() > side || image.height() > side {
        image.resize(side, side, FilterType::Lanczos3)
    } else {
        image.clone()
    };
    flatten_on_white(&scaled)
}

/// JPEG has no transparency: transparent pixels become white, not black.
fn flatten_on_white(image: &DynamicImage) -> RgbImage {
    if !image.color().has_alpha() {
        return image.to_rgb8();
    }
    let rgba = image.to_rgba8();
    RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let [r, g, b, a] = rgba.get_pixel(x, y).0;
        let blend =
            |c: u8| ((u16::from(c) * u16::from(a) + 255 * (255 - u16::from(a))) / 255) as u8;
        image::Rgb([blend(r), blend(g), blend(b)])
    })
}

fn encode(image: &RgbImage) -> Result<Vec<u8>, ImageError> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY)
        .encode_image(image)
        .map_err(|_| ImageError::Damaged)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let mut out = Vec::new();
        DynamicImage::ImageRgba8(image::RgbaImage::new(width, height))
            .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .unwrap();
        out
    }

    #[test]
    fn a_png_becomes_a_white_backed_jpeg() {
        let prepared = prepare(&png(40, 20)).unwrap();
        assert!(prepared.cover.starts_with(&[0xFF, 0xD8, 0xFF]));
        let cover = image::load_from_memory(&prepared.cover).unwrap().to_rgb8();
        assert_eq!(cover.dimensions(), (40, 20));
        assert!(cover.get_pixel(5, 5).0.iter().all(|c| *c > 240));
    }

    #[test]
    fn large_images_are_scaled_down() {
        let prepared = prepare(&png(3200, 800)).unwrap();
        let cover = image::load_from_memory(&prepared.cover).unwrap();
        let thumb = image::load_from_memory(&prepared.thumbnail).unwrap();
        assert_eq!((cover.width(), cover.height()), (1600, 400));
        assert_eq!((thumb.width(), thumb.height()), (480, 120));
    }

    #[test]
    fn names_do_not_matter_bytes_do() {
        assert_eq!(
            prepare(b"<svg xmlns='http://www.w3.org/2000/svg'/>").err(),
            Some(ImageError::UnsupportedType)
        );
        assert_eq!(
            prepare(b"GIF89a....").err(),
            Some(ImageError::UnsupportedType)
        );
        let mut polyglot = png(4, 4);
        polyglot.extend_from_slice(b"<script>alert(1)</script>");
        assert_eq!(prepare(&polyglot).err(), Some(ImageError::NotJustAnImage));
        let mut trailing = png(4, 4);
        trailing.extend_from_slice(b"PK\x03\x04 zip archive");
        assert_eq!(prepare(&trailing).err(), Some(ImageError::NotJustAnImage));
    }

    /// A JPEG whose header claims `width` × `height` (the pixel data stays 1 × 1).
    fn jpeg_claiming(width: u16, height: u16) -> Vec<u8> {
        let mut out = Vec::new();
        DynamicImage::ImageRgb8(RgbImage::new(1, 1))
            .write_to(&mut Cursor::new(&mut out), ImageFormat::Jpeg)
            .unwrap();
        // Start of frame: FF C0, length, precision, then height and width.
        let frame = out.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
        out[frame + 5..frame + 7].copy_from_slice(&height.to_be_bytes());
        out[frame + 7..frame + 9].copy_from_slice(&width.to_be_bytes());
        out
    }

    #[test]
    fn decoded_memory_is_bounded_before_decoding() {
        // 8000 × 8000 RGB is 192 MB of pixels: refused from the header alone.
        assert_eq!(
            prepare(&jpeg_claiming(8000, 8000)).err(),
            Some(ImageError::TooMuchToDecode)
        );
        // A 16-bit image within the budget is read as 8-bit and re-encoded.
        let mut small = Vec::new();
        DynamicImage::ImageRgba16(image::ImageBuffer::from_pixel(
            300,
            200,
            image::Rgba([65535u16, 0, 0, 65535]),
        ))
        .write_to(&mut Cursor::new(&mut small), ImageFormat::Png)
        .unwrap();
        let prepared = prepare(&small).unwrap();
        let cover = image::load_from_memory(&prepared.cover).unwrap().to_rgb8();
        assert_eq!(cover.dimensions(), (300, 200));
        assert!(cover.get_pixel(10, 10).0[0] > 240, "still red");
    }

    #[test]
    fn truncated_files_are_damaged() {
        let whole = png(64, 64);
        assert_eq!(
            prepare(&whole[..whole.len() / 2]).err(),
            Some(ImageError::Damaged)
        );
    }
}
