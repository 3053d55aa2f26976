//! Reading and writing NumPy `.npz` archives of `uint8` arrays, the format of the Kuzushiji
//! data sets: a zip archive holding one array `arr_0.npy`, as `numpy.savez_compressed` writes it.

use crate::error::{Error, Result};
use md5::{Digest, Md5};
use npyz::{DType, TypeChar};
use std::fs::File;
use std::io::{BufReader, ErrorKind, Read, Write};
use std::path::Path;

/// Name of the array `numpy.savez` gives its first positional argument.
pub const ARRAY_NAME: &str = "arr_0";

/// Largest array read, in bytes (checked against the `.npy` header before allocating): the
/// Kuzushiji-49 training images are 182 MB.
pub const MAX_ARRAY_BYTES: usize = 1 << 30;

/// Most bytes an array may decode to per compressed byte. Kuzushiji-49 inflates about 3x; a
/// zip bomb 1,000x (deflate's limit). Arrays of up to [`SMALL_ARRAY_BYTES`] are exempt (a
/// small blank array compresses to almost nothing).
pub const MAX_INFLATE_RATIO: u64 = 100;

/// Arrays this small are read whatever their compression ratio.
pub const SMALL_ARRAY_BYTES: u64 = 1 << 20;

/// Largest `.npy` header read (NumPy writes 64..4096 bytes).
pub const MAX_NPY_HEADER_BYTES: usize = 1 << 16;

/// MD5 of a file's contents as lowercase hex, read in a streaming fashion.
pub fn md5_hex(path: &Path) -> Result<String> {
    let mut file = BufReader::new(open(path)?);
    let mut hasher = Md5::new();
    std::io::copy(&mut file, &mut hasher).map_err(|e| Error::file(path, format!("cannot read: {e}")))?;
    Ok(format!("{:x}", hasher.finalize()))
}

/// An n-dimensional `uint8` array in C (row-major) order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct U8Array {
    /// Size of each dimension.
    pub shape: Vec<usize>,
    /// The elements, `shape.iter().product()` of them.
    pub data: Vec<u8>,
}

/// Reads the `uint8` array `arr_0` from an `.npz` archive (or its only array, whatever its name).
pub fn read_u8(path: &Path) -> Result<U8Array> {
    let file = open(path)?;
    let file_len = file.metadata().map(|m| m.len()).unwrap_or(u64::MAX);
    read_u8_from(BufReader::new(file), file_len).map_err(|reason| Error::file(path, reason))
}

/// [`read_u8`] from any seekable reader of `file_len` bytes; the error is the reason alone.
pub fn read_u8_from<R: Read + std::io::Seek>(reader: R, file_len: u64) -> std::result::Result<U8Array, String> {
    let mut zip = zip::ZipArchive::new(reader)
        .map_err(|e| format!("truncated or not an .npz archive: {e}"))?;
    let entry = choose_entry(zip.file_names())?;
    let member = zip
        .by_name(&entry)
        .map_err(|e| format!("truncated or not an .npz archive: {entry}: {e}"))?;
    // What the archive says, but never more than the file holds.
    let compressed = member.compressed_size().min(file_len);
    let npy = npyz::NpyFile::new(checked_npy_prefix(member).map_err(|reason| format!("{entry} {reason}"))?)
        .map_err(|e| format!("{entry} is not a valid .npy array: {e}"))?;
    let header = npy.header();
    let dtype = header.dtype();
    if !is_u8(&dtype) {
        let found = dtype_name(&dtype);
        return Err(format!("{entry}: expected uint8, found {found}"));
    }
    let shape = header
        .shape()
        .iter()
        .map(|&d| usize::try_from(d))
        .collect::<std::result::Result<Vec<usize>, _>>()
        .map_err(|_| format!("{entry}: shape too large for this machine"))?;
    if header.order() == npyz::Order::Fortran && shape.len() > 1 {
        return Err(format!("{entry}: Fortran-ordered arrays are not supported"));
    }
    let dims = format_shape(&shape);
    let expected = element_count(&shape)
        .filter(|&n| n <= MAX_ARRAY_BYTES)
        .ok_or_else(|| format!("{entry}: shape {dims} is too large (the limit is {MAX_ARRAY_BYTES} bytes)"))?;
    let bound = compressed.saturating_mul(MAX_INFLATE_RATIO).max(SMALL_ARRAY_BYTES);
    if expected as u64 > bound {
        return Err(format!(
                "{entry}: shape {dims} needs {expected} bytes from {compressed} compressed bytes, more than \
                 {MAX_INFLATE_RATIO} times its compressed size (a zip bomb, or not a data set)"
        ));
    }
    // Exactly the bytes the checked shape needs: the buffer never grows (peak memory 1x).
    let mut data = Vec::with_capacity(expected);
    let limit = u64::try_from(expected).unwrap_or(u64::MAX).saturating_add(1);
    npy.into_inner()
        .take(limit)
        .read_to_end(&mut data)
        .map_err(|e| format!("truncated or corrupt data in {entry}: {e}"))?;
    if data.len() != expected {
        let got = data.len();
        let what = if got < expected { "truncated" } else { "too long" };
        return Err(format!("{entry} is {what}: it holds {got} bytes of data, its shape {dims} needs {expected}"));
    }
    Ok(U8Array { shape, data })
}

/// Reads the start of an `.npy` member (magic, version, header length) and refuses a header
/// longer than [`MAX_NPY_HEADER_BYTES`] before the `.npy` reader allocates it; returns a reader
/// of the whole member again.
fn checked_npy_prefix<R: Read>(mut member: R) -> std::result::Result<impl Read, String> {
    let mut prefix = [0u8; 12];
    let mut got = 0;
    while got < prefix.len() {
        match member.read(prefix.get_mut(got..).unwrap_or(&mut [])) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(format!("is truncated or corrupt: {e}")),
        }
    }
    let head = prefix.get(..got).unwrap_or(&[]);
    let header_len = match head {
        [0x93, b'N', b'U', b'M', b'P', b'Y', 1, _, a, b, ..] => usize::from(u16::from_le_bytes([*a, *b])),
        [0x93, b'N', b'U', b'M', b'P', b'Y', 2 | 3, _, a, b, c, d] => {
            usize::try_from(u32::from_le_bytes([*a, *b, *c, *d])).unwrap_or(usize::MAX)
        }
        _ => 0,
    };
    if header_len > MAX_NPY_HEADER_BYTES {
        return Err(format!("has a {header_len}-byte header (the limit is {MAX_NPY_HEADER_BYTES})"));
    }
    Ok(std::io::Cursor::new(head.to_vec()).chain(member))
}

/// Writes `data` with `shape` as `arr_0.npy` in a deflate-compressed `.npz` archive, atomically
/// (a temporary file beside `path`, then a rename).
pub fn write_u8(path: &Path, shape: &[usize], data: &[u8]) -> Result<()> {
    if element_count(shape) != Some(data.len()) {
        let dims = format_shape(shape);
        return Err(Error::file(path, format!("shape {dims} does not fit {} bytes of data", data.len())));
    }
    write_npz_raw(path, "|u1", shape, data)
}

/// Writes an `.npz` holding `arr_0.npy` with any NumPy `descr` (e.g. `<i8`); `data` must already
/// be the raw little-endian elements. Lets tests build arrays of other dtypes.
pub(crate) fn write_npz_raw(path: &Path, descr: &str, shape: &[usize], data: &[u8]) -> Result<()> {
    let bytes = npz_bytes(descr, shape, data).map_err(|e| Error::file(path, format!("cannot write: {e}")))?;
    crate::error::write_atomic(path, &bytes)
}

/// The bytes of an `.npz` archive holding `arr_0.npy` (deflated) with `descr`, `shape` and the
/// raw elements `data`.
pub fn npz_bytes(descr: &str, shape: &[usize], data: &[u8]) -> std::result::Result<Vec<u8>, String> {
    let mut npy = npy_header(descr, shape);
    npy.extend_from_slice(data);
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(npy.len() >= 0xFFFF_FFFF);
    zip.start_file(format!("{ARRAY_NAME}.npy"), options).map_err(|e| e.to_string())?;
    zip.write_all(&npy).map_err(|e| e.to_string())?;
    Ok(zip.finish().map_err(|e| e.to_string())?.into_inner())
}

/// A shape written the way NumPy prints it: `(8000, 28, 28)`, `(8000,)`.
pub(crate) fn format_shape(shape: &[usize]) -> String {
    match shape {
        [one] => format!("({one},)"),
        _ => {
            let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
            format!("({})", dims.join(", "))
        }
    }
}

/// Product of the dimensions, `None` on overflow.
fn element_count(shape: &[usize]) -> Option<usize> {
    shape.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d))
}

/// Opens a file for reading, saying "not found" plainly when it is missing.
fn open(path: &Path) -> Result<File> {
    match std::fs::metadata(path) {
        Err(e) if e.kind() == ErrorKind::NotFound => Err(Error::file(path, "not found")),
        Ok(m) if m.is_dir() => Err(Error::file(path, "is a folder, not a file")),
        // Anything else but a regular file (a FIFO would block the read) is refused here.
        _ => crate::error::open_regular(path, "file"),
    }
}

/// Picks the zip member to read: `arr_0.npy`, or the only `.npy` member there is.
fn choose_entry<'a>(names: impl Iterator<Item = &'a str>) -> std::result::Result<String, String> {
    let wanted = format!("{ARRAY_NAME}.npy");
    let mut arrays: Vec<&str> = names.filter(|n| n.ends_with(".npy")).collect();
    arrays.sort_unstable();
    match arrays.as_slice() {
        _ if arrays.contains(&wanted.as_str()) => Ok(wanted),
        [only] => Ok((*only).to_string()),
        [] => Err("not an .npz archive: it holds no .npy arrays".into()),
        many => {
            let names: Vec<&str> = many.iter().map(|n| n.trim_end_matches(".npy")).collect();
            Err(format!("no array named {ARRAY_NAME}; the archive holds {}", names.join(", ")))
        }
    }
}

/// Whether a dtype is a single unsigned byte.
fn is_u8(dtype: &DType) -> bool {
    matches!(dtype, DType::Plain(t) if t.type_char() == TypeChar::Uint && t.size_field() == 1)
}

/// NumPy's name for a dtype (`int64`, `float32`), or its descriptor when it has no short name.
fn dtype_name(dtype: &DType) -> String {
    match dtype {
        DType::Plain(t) => {
            let bits = t.size_field().saturating_mul(8);
            match t.type_char() {
                TypeChar::Bool => "bool".into(),
                TypeChar::Int => format!("int{bits}"),
                TypeChar::Uint => format!("uint{bits}"),
                TypeChar::Float => format!("float{bits}"),
                TypeChar::Complex => format!("complex{bits}"),
                _ => format!("dtype '{t}'"),
            }
        }
        other => format!("structured dtype {}", other.descr()),
    }
}

/// The `.npy` header for a C-ordered array: magic, version, and the dict padded to 64 bytes.
fn npy_header(descr: &str, shape: &[usize]) -> Vec<u8> {
    let dict = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {}, }}", format_shape(shape));
    let v1_len = u16::try_from(dict.len() + 64).ok();
    let prefix = if v1_len.is_some() { 10 } else { 12 };
    let pad = (64 - (prefix + dict.len() + 1) % 64) % 64;
    let text_len = dict.len() + pad + 1;
    let mut out = b"\x93NUMPY".to_vec();
    match u16::try_from(text_len) {
        Ok(len) if v1_len.is_some() => {
            out.extend_from_slice(&[1, 0]);
            out.extend_from_slice(&len.to_le_bytes());
        }
        _ => {
            out.extend_from_slice(&[2, 0]);
            out.extend_from_slice(&u32::try_from(text_len).unwrap_or(u32::MAX).to_le_bytes());
        }
    }
    out.extend_from_slice(dict.as_bytes());
    out.extend(std::iter::repeat_n(b' ', pad));
    out.push(b'\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err_text<T: std::fmt::Debug>(r: Result<T>) -> String {
        r.unwrap_err().to_string()
    }

    #[test]
    fn round_trip_keeps_shape_and_data() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.npz");
        let data: Vec<u8> = (0..2 * 3 * 4).map(|i| (i * 11) as u8).collect();
        write_u8(&p, &[2, 3, 4], &data).unwrap();
        let a = read_u8(&p).unwrap();
        assert_eq!(a, U8Array { shape: vec![2, 3, 4], data });
        write_u8(&p, &[5], &[1, 2, 3, 4, 5]).unwrap();
        assert_eq!(read_u8(&p).unwrap().shape, vec![5]);
        write_u8(&p, &[0, 28, 28], &[]).unwrap();
        assert_eq!(read_u8(&p).unwrap(), U8Array { shape: vec![0, 28, 28], data: vec![] });
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no temp file left");
    }

    #[test]
    fn header_is_aligned_like_numpy() {
        for shape in [vec![], vec![7], vec![8000, 28, 28]] {
            let h = npy_header("|u1", &shape);
            assert_eq!(h.len() % 64, 0);
            assert_eq!(h.last(), Some(&b'\n'));
        }
        let h = npy_header("|u1", &[8000]);
        assert!(String::from_utf8_lossy(&h).contains("'shape': (8000,), }"));
    }

    #[test]
    fn write_refuses_wrong_length() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.npz");
        let e = err_text(write_u8(&p, &[2, 2], &[1, 2, 3]));
        assert!(e.contains("a.npz") && e.contains("(2, 2)") && e.contains("3 bytes"), "{e}");
        assert!(!p.exists());
    }

    #[test]
    fn missing_file_says_not_found() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("gone.npz");
        let e = err_text(read_u8(&p));
        assert!(e.contains("gone.npz: not found"), "{e}");
        assert!(err_text(md5_hex(&p)).contains("not found"));
        assert!(err_text(read_u8(dir.path())).contains("is a folder"));
    }

    #[test]
    fn truncated_and_foreign_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.npz");
        write_u8(&p, &[100, 28, 28], &vec![7u8; 100 * 28 * 28]).unwrap();
        let bytes = std::fs::read(&p).unwrap();
        std::fs::write(&p, &bytes[..bytes.len() / 2]).unwrap();
        let e = err_text(read_u8(&p));
        assert!(e.contains("a.npz: truncated or not an .npz archive"), "{e}");
        std::fs::write(&p, b"index,codepoint,char\n").unwrap();
        assert!(err_text(read_u8(&p)).contains("truncated or not an .npz archive"));
    }

    #[test]
    fn short_data_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.npz");
        write_npz_raw(&p, "|u1", &[4, 4], &[1; 10]).unwrap();
        let e = err_text(read_u8(&p));
        assert!(e.contains("truncated") && e.contains("10 bytes") && e.contains("(4, 4) needs 16"), "{e}");
    }

    #[test]
    fn wrong_dtype_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.npz");
        let data: Vec<u8> = [3i64, 4, 5].iter().flat_map(|v| v.to_le_bytes()).collect();
        write_npz_raw(&p, "<i8", &[3], &data).unwrap();
        let e = err_text(read_u8(&p));
        assert!(e.contains("a.npz") && e.contains("expected uint8, found int64"), "{e}");
        write_npz_raw(&p, "<f4", &[1], &[0; 4]).unwrap();
        assert!(err_text(read_u8(&p)).contains("found float32"));
    }

    #[test]
    fn entry_choice() {
        let pick = |names: &[&str]| choose_entry(names.iter().copied());
        assert_eq!(pick(&["x.npy", "arr_0.npy"]).unwrap(), "arr_0.npy");
        assert_eq!(pick(&["images.npy"]).unwrap(), "images.npy");
        let e = pick(&["b.npy", "a.npy", "readme.txt"]).unwrap_err();
        assert!(e.contains("no array named arr_0") && e.contains("a, b"), "{e}");
        assert!(pick(&["readme.txt"]).unwrap_err().contains("no .npy arrays"));
    }

    #[test]
    fn md5_matches_known_value() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("abc");
        std::fs::write(&p, b"abc").unwrap();
        assert_eq!(md5_hex(&p).unwrap(), "900150983cd24fb0d6963f7d28e17f72");
    }

    #[test]
    fn reads_real_numpy_files() {
        use crate::data::test_data::fixture;
        let a = read_u8(&fixture("kuzushiji-fixture-imgs.npz")).unwrap();
        assert_eq!(a.shape, vec![300, 28, 28]);
        assert!(a.data.contains(&255) && a.data.contains(&0));
        let labels = read_u8(&fixture("kuzushiji-fixture-labels.npz")).unwrap();
        assert_eq!(labels.shape, vec![300]);
        assert_eq!(labels.data.iter().filter(|&&l| l == 9).count(), 30);
    }

    #[test]
    fn reads_the_full_real_sample() {
        let Some(dir) = crate::data::test_data::shared_or_skip("reads_the_full_real_sample", "kuzushiji-sample") else {
            return;
        };
        let a = read_u8(&dir.join("kuzushiji-sample-imgs.npz")).unwrap();
        assert_eq!(a.shape, vec![8000, 28, 28]);
        let labels = read_u8(&dir.join("kuzushiji-sample-labels.npz")).unwrap();
        assert_eq!(labels.shape, vec![8000]);
        let fixture = read_u8(&crate::data::test_data::fixture("kuzushiji-fixture-imgs.npz")).unwrap();
        assert_eq!(&a.data[..28 * 28], &fixture.data[..28 * 28], "the fixture's first image is the sample's first");
    }

    /// An `.npz` whose `arr_0.npy` has the given header dict and `body` after it, stored as is.
    fn npz_with_npy(path: &Path, npy: &[u8]) {
        let mut zip = zip::ZipWriter::new(File::create(path).unwrap());
        let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        zip.start_file("arr_0.npy", options).unwrap();
        zip.write_all(npy).unwrap();
        zip.finish().unwrap();
    }

    #[test]
    fn shapes_beyond_the_limit_are_refused_before_allocating() {
        // Regression (issue 12): a 1 KB .npz whose header claimed 10^12 elements aborted with
        // "memory allocation of 999999999936 bytes failed".
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("huge.npz");
        write_npz_raw(&p, "|u1", &[1_000_000, 1_000_000], &[0; 64]).unwrap();
        assert!(std::fs::metadata(&p).unwrap().len() < 1024);
        let e = err_text(read_u8(&p));
        assert!(e.contains("huge.npz") && e.contains("(1000000, 1000000) is too large") && e.contains("1073741824"), "{e}");
        // Within the limit, but far more than the compressed bytes can hold.
        write_npz_raw(&p, "|u1", &[100_000, 28, 28], &[0; 64]).unwrap();
        let e = err_text(read_u8(&p));
        assert!(e.contains("78400000 bytes from") && e.contains("100 times its compressed size"), "{e}");
        // Overflowing shapes.
        write_npz_raw(&p, "|u1", &[usize::MAX, 2], &[]).unwrap();
        assert!(err_text(read_u8(&p)).contains("too large"));
    }

    #[test]
    fn zip_bombs_are_refused() {
        // Regression (issue 12): a 3.9 MB .npz inflating to 4 GB took 11 GB. The same shape at a
        // smaller scale: 64 MB of zeros deflate to about 64 KB.
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("bomb.npz");
        let n = 64 << 20;
        write_u8(&p, &[n / 784, 28, 28], &vec![0u8; n / 784 * 784]).unwrap();
        let size = std::fs::metadata(&p).unwrap().len();
        assert!(size < (n as u64) / MAX_INFLATE_RATIO, "{size}");
        let e = err_text(read_u8(&p));
        assert!(e.contains("bomb.npz") && e.contains("zip bomb"), "{e}");
        // A small blank array is fine whatever its ratio.
        write_u8(&p, &[100, 28, 28], &vec![0u8; 100 * 28 * 28]).unwrap();
        assert_eq!(read_u8(&p).unwrap().data.len(), 78_400);
    }

    #[test]
    fn huge_npy_headers_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("h.npz");
        let mut npy = b"\x93NUMPY\x02\x00".to_vec();
        npy.extend_from_slice(&u32::MAX.to_le_bytes());
        npy.extend_from_slice(b"{'descr': '|u1'");
        npz_with_npy(&p, &npy);
        let e = err_text(read_u8(&p));
        assert!(e.contains("h.npz") && e.contains("4294967295-byte header") && e.contains("65536"), "{e}");
        // Garbage and short members are refused by the .npy reader.
        npz_with_npy(&p, b"\x93NUM");
        assert!(err_text(read_u8(&p)).contains("not a valid .npy"));
        npz_with_npy(&p, b"");
        assert!(err_text(read_u8(&p)).contains("not a valid .npy"));
    }
}
