//! A finite set of labeled grayscale images, labels already mapped onto the class table.

use crate::data::classes::{ClassMap, NUM_CLASSES};
use crate::data::npz::{format_shape, read_u8};
use crate::error::{Error, Result};
use std::path::Path;

/// Images of `height` x `width` bytes (0 = background, 255 = ink), each with a class-table label.
#[derive(Clone)]
pub struct LabeledImages {
    /// Name used in messages and reports (e.g. `k49-train`).
    pub name: String,
    /// Image height in pixels.
    pub height: usize,
    /// Image width in pixels.
    pub width: usize,
    images: Vec<u8>,
    labels: Vec<u16>,
}

impl std::fmt::Debug for LabeledImages {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LabeledImages")
            .field("name", &self.name)
            .field("len", &self.len())
            .field("height", &self.height)
            .field("width", &self.width)
            .finish()
    }
}

impl LabeledImages {
    /// Loads images (N, H, W) and labels (N,) from `.npz` files, mapping the data set's labels
    /// onto the class table through its class map CSV.
    pub fn from_npz(name: &str, images: &Path, labels: &Path, classmap: &Path) -> Result<Self> {
        let map = ClassMap::load(classmap)?;
        let imgs = read_u8(images)?;
        let (n, height, width) = match imgs.shape.as_slice() {
            &[n, h, w] if h > 0 && w > 0 => (n, h, w),
            other => {
                let dims = format_shape(other);
                return Err(Error::file(images, format!("expected images of shape (N, H, W), found {dims}")));
            }
        };
        let labs = read_u8(labels)?;
        let count = match labs.shape.as_slice() {
            &[count] => count,
            other => {
                let dims = format_shape(other);
                return Err(Error::file(labels, format!("expected labels of shape (N,), found {dims}")));
            }
        };
        if count != n {
            return Err(Error::file(
                labels,
                format!("holds {count} labels, but {} holds {n} images", images.display()),
            ));
        }
        let mapped = labs
            .data
            .iter()
            .enumerate()
            .map(|(pos, &l)| {
                map.to_table
                    .get(usize::from(l))
                    .and_then(|&t| u16::try_from(t).ok())
                    .ok_or_else(|| {
                        let classes = map.len();
                        Error::file(
                            labels,
                            format!("label {l} at position {pos} is out of range: the class map has {classes} classes"),
                        )
                    })
            })
            .collect::<Result<Vec<u16>>>()?;
        Self::from_parts(name, height, width, imgs.data, mapped)
    }

    /// Builds a set from raw parts: `images` holds `labels.len()` images of `height * width`
    /// bytes each, and every label is a class-table index.
    pub fn from_parts(
        name: impl Into<String>,
        height: usize,
        width: usize,
        images: Vec<u8>,
        labels: Vec<u16>,
    ) -> Result<Self> {
        let name = name.into();
        if height == 0 || width == 0 {
            return Err(Error::Invalid(format!("{name}: image size {height}x{width} is empty")));
        }
        let needed = height.checked_mul(width).and_then(|hw| hw.checked_mul(labels.len()));
        if needed != Some(images.len()) {
            let (bytes, n) = (images.len(), labels.len());
            return Err(Error::Invalid(format!(
                "{name}: {bytes} image bytes do not make {n} images of {height}x{width}"
            )));
        }
        if let Some((pos, l)) = labels.iter().enumerate().find(|(_, &l)| usize::from(l) >= NUM_CLASSES) {
            return Err(Error::Invalid(format!(
                "{name}: label {l} at position {pos} is not a class (the table has {NUM_CLASSES})"
            )));
        }
        Ok(LabeledImages { name, height, width, images, labels })
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether the set holds no images.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Image `i` as `height * width` bytes, row by row.
    pub fn image(&self, i: usize) -> Option<&[u8]> {
        let size = self.height.checked_mul(self.width)?;
        let start = i.checked_mul(size)?;
        self.images.get(start..start.checked_add(size)?)
    }

    /// Class-table label of image `i`.
    pub fn label(&self, i: usize) -> Option<usize> {
        self.labels.get(i).map(|&l| usize::from(l))
    }

    /// All class-table labels, in file order.
    pub fn labels(&self) -> &[u16] {
        &self.labels
    }

    /// Number of images of each class (length [`NUM_CLASSES`]).
    pub fn class_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; NUM_CLASSES];
        for &l in &self.labels {
            if let Some(c) = counts.get_mut(usize::from(l)) {
                *c += 1;
            }
        }
        counts
    }

    /// Image indices of each class in file order (length [`NUM_CLASSES`]), for balanced sampling.
    pub fn indices_by_class(&self) -> Vec<Vec<usize>> {
        let mut by_class = vec![Vec::new(); NUM_CLASSES];
        for (i, &l) in self.labels.iter().enumerate() {
            if let Some(list) = by_class.get_mut(usize::from(l)) {
                list.push(i);
            }
        }
        by_class
    }

    /// Splits into `(train, test)`: the first `per_class` images of each class in file order go
    /// to test, the rest to train. Deterministic; names get `:train` and `:test` suffixes.
    pub fn split_holdout(&self, per_class: usize) -> (LabeledImages, LabeledImages) {
        self.clone().into_split_holdout(per_class)
    }

    /// [`Self::split_holdout`] in place: the training images keep this set's buffer (moved up
    /// over the held-out ones), so a large set is never held twice.
    pub fn into_split_holdout(self, per_class: usize) -> (LabeledImages, LabeledImages) {
        let mut taken = vec![0usize; NUM_CLASSES];
        let mut test = self.empty_like(format!("{}:test", self.name));
        let LabeledImages { name, height, width, mut images, mut labels } = self;
        let size = height.saturating_mul(width).max(1);
        let mut kept = 0usize;
        for i in 0..labels.len() {
            let Some(&l) = labels.get(i) else { break };
            let into_test = match taken.get_mut(usize::from(l)) {
                Some(t) if *t < per_class => {
                    *t += 1;
                    true
                }
                _ => false,
            };
            let range = i * size..(i + 1) * size;
            if into_test {
                test.images.extend_from_slice(images.get(range).unwrap_or(&[]));
                test.labels.push(l);
            } else {
                if kept != i && range.end <= images.len() {
                    images.copy_within(range, kept * size);
                }
                if let Some(slot) = labels.get_mut(kept) {
                    *slot = l;
                }
                kept += 1;
            }
        }
        images.truncate(kept * size);
        labels.truncate(kept);
        let train = LabeledImages { name: format!("{name}:train"), height, width, images, labels };
        (train, test)
    }

    /// An empty set with this set's image size.
    fn empty_like(&self, name: String) -> LabeledImages {
        LabeledImages { name, height: self.height, width: self.width, images: Vec::new(), labels: Vec::new() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::classes::index_of;
    use crate::data::npz::{md5_hex, write_npz_raw, write_u8};
    use std::path::PathBuf;

    const MAP3: &str = "index,codepoint,char\n0,U+3042,あ\n1,U+3044,い\n2,U+3046,う\n";

    /// Writes a 3-class data set: images (n, 2, 3) filled with their index, the given labels.
    fn write_set(dir: &Path, img_shape: &[usize], labels: &[u8]) -> (PathBuf, PathBuf, PathBuf) {
        let (i, l, m) = (dir.join("imgs.npz"), dir.join("labels.npz"), dir.join("map.csv"));
        let n: usize = img_shape.iter().product();
        let per = n / img_shape.first().copied().unwrap_or(1).max(1);
        let data: Vec<u8> = (0..n).map(|k| (k / per.max(1)) as u8).collect();
        write_u8(&i, img_shape, &data).unwrap();
        write_u8(&l, &[labels.len()], labels).unwrap();
        std::fs::write(&m, MAP3).unwrap();
        (i, l, m)
    }

    fn err_text<T: std::fmt::Debug>(r: Result<T>) -> String {
        r.unwrap_err().to_string()
    }

    #[test]
    fn loads_and_maps_labels() {
        let dir = tempfile::tempdir().unwrap();
        let (i, l, m) = write_set(dir.path(), &[4, 2, 3], &[2, 0, 1, 0]);
        let set = LabeledImages::from_npz("t", &i, &l, &m).unwrap();
        assert_eq!((set.len(), set.height, set.width), (4, 2, 3));
        let a = index_of('あ').unwrap() as u16;
        assert_eq!(set.labels(), &[a + 4, a, a + 2, a]);
        assert_eq!(set.label(0), Some(index_of('う').unwrap()));
        assert_eq!(set.image(2), Some(&[2u8; 6][..]));
        assert_eq!((set.image(4), set.label(4)), (None, None));
        assert_eq!(set.class_counts()[a as usize], 2);
        assert_eq!(set.class_counts().iter().sum::<usize>(), 4);
        assert_eq!(set.indices_by_class()[a as usize], vec![1, 3]);
        assert_eq!(set.indices_by_class().len(), NUM_CLASSES);
    }

    #[test]
    fn count_mismatch_names_both_counts() {
        let dir = tempfile::tempdir().unwrap();
        let (i, l, m) = write_set(dir.path(), &[4, 2, 3], &[0, 1, 2]);
        let e = err_text(LabeledImages::from_npz("t", &i, &l, &m));
        assert!(e.contains("labels.npz") && e.contains("3 labels") && e.contains("4 images"), "{e}");
    }

    #[test]
    fn label_out_of_range_blames_labels_file() {
        let dir = tempfile::tempdir().unwrap();
        let (i, l, m) = write_set(dir.path(), &[4, 2, 3], &[0, 1, 7, 9]);
        let e = err_text(LabeledImages::from_npz("t", &i, &l, &m));
        assert!(e.contains("labels.npz: label 7 at position 2") && e.contains("3 classes"), "{e}");
    }

    #[test]
    fn wrong_shapes_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let (i, l, m) = write_set(dir.path(), &[4, 6], &[0, 1, 2, 0]);
        let e = err_text(LabeledImages::from_npz("t", &i, &l, &m));
        assert!(e.contains("imgs.npz: expected images of shape (N, H, W), found (4, 6)"), "{e}");
        write_u8(&i, &[4, 2, 3], &[0; 24]).unwrap();
        write_u8(&l, &[2, 2], &[0; 4]).unwrap();
        let e = err_text(LabeledImages::from_npz("t", &i, &l, &m));
        assert!(e.contains("labels.npz: expected labels of shape (N,), found (2, 2)"), "{e}");
        write_npz_raw(&l, "<i8", &[4], &[0; 32]).unwrap();
        let e = err_text(LabeledImages::from_npz("t", &i, &l, &m));
        assert!(e.contains("labels.npz") && e.contains("expected uint8, found int64"), "{e}");
    }

    #[test]
    fn from_parts_validates() {
        assert!(LabeledImages::from_parts("p", 2, 2, vec![0; 8], vec![0, 179]).is_ok());
        let e = err_text(LabeledImages::from_parts("p", 2, 2, vec![0; 7], vec![0, 1]));
        assert!(e.contains("p: 7 image bytes"), "{e}");
        let e = err_text(LabeledImages::from_parts("p", 2, 2, vec![0; 8], vec![0, 180]));
        assert!(e.contains("label 180 at position 1"), "{e}");
        assert!(LabeledImages::from_parts("p", 0, 2, vec![], vec![]).is_err());
        assert!(LabeledImages::from_parts("p", 2, 2, vec![], vec![]).unwrap().is_empty());
    }

    #[test]
    fn split_holdout_takes_first_per_class() {
        let images: Vec<u8> = (0..7).collect();
        let set = LabeledImages::from_parts("s", 1, 1, images, vec![5, 6, 5, 5, 6, 7, 5]).unwrap();
        let (train, test) = set.split_holdout(2);
        assert_eq!((train.name.as_str(), test.name.as_str()), ("s:train", "s:test"));
        assert_eq!(test.labels(), &[5, 6, 5, 6, 7]);
        assert_eq!(test.image(2), Some(&[2u8][..]));
        assert_eq!(train.labels(), &[5, 5]);
        assert_eq!((train.image(0), train.image(1)), (Some(&[3u8][..]), Some(&[6u8][..])));
        let (all_train, none) = set.split_holdout(0);
        assert_eq!((all_train.len(), none.len()), (7, 0));
    }

    /// Loads a real kuzushiji set (10 classes, `per_class` images each) and checks its
    /// counts and the hold-out split.
    fn check_real_set(imgs: &Path, labels: &Path, map: &Path, per_class: usize) {
        let set = LabeledImages::from_npz("real", imgs, labels, map).unwrap();
        assert_eq!((set.len(), set.height, set.width), (10 * per_class, 28, 28));
        let classes: Vec<usize> = "おきすつなはまやれを".chars().map(|c| index_of(c).unwrap()).collect();
        let counts = set.class_counts();
        for (c, &n) in counts.iter().enumerate() {
            assert_eq!(n, if classes.contains(&c) { per_class } else { 0 }, "class {c}");
        }
        let image = set.image(0).unwrap();
        assert!(image.contains(&255) && image.contains(&0));
        let held = per_class / 4;
        let (train, test) = set.split_holdout(held);
        assert_eq!((train.len(), test.len()), (10 * (per_class - held), 10 * held));
        for &c in &classes {
            assert_eq!((test.class_counts()[c], train.class_counts()[c]), (held, per_class - held));
        }
        let first_o = set.indices_by_class()[classes[0]][0];
        assert_eq!(test.image(test.indices_by_class()[classes[0]][0]), set.image(first_o));
    }

    #[test]
    fn real_kuzushiji_fixture() {
        use crate::data::test_data::fixture;
        let map = fixture("kuzushiji-fixture_classmap.csv");
        assert_eq!(md5_hex(&map).unwrap(), "899202f6e8dc29a321ac210a03d0f2f1", "the official kmnist class map");
        check_real_set(&fixture("kuzushiji-fixture-imgs.npz"), &fixture("kuzushiji-fixture-labels.npz"), &map, 30);
    }

    #[test]
    fn split_in_place_matches_the_copying_split() {
        let images: Vec<u8> = (0..7 * 6).map(|i| i as u8).collect();
        let set = LabeledImages::from_parts("s", 2, 3, images, vec![5, 6, 5, 5, 6, 7, 5]).unwrap();
        let (train, test) = set.clone().into_split_holdout(1);
        assert_eq!(test.labels(), &[5, 6, 7]);
        assert_eq!(train.labels(), &[5, 5, 6, 5]);
        assert_eq!(train.image(1), set.image(3));
        assert_eq!(train.image(3), set.image(6));
        assert_eq!(test.image(2), set.image(5));
        assert_eq!(train.images.len(), 4 * 6);
    }

    #[test]
    fn real_kuzushiji_sample() {
        let Some(dir) = crate::data::test_data::shared_or_skip("real_kuzushiji_sample", "kuzushiji-sample") else {
            return;
        };
        let file = |n: &str| dir.join(n);
        for (name, md5) in [
            ("kuzushiji-sample-imgs.npz", "54e853d3c7f557f2c029ef77e2a03e4f"),
            ("kuzushiji-sample-labels.npz", "9a066106b8cf495120351007d4a0a583"),
            ("kuzushiji-sample_classmap.csv", "899202f6e8dc29a321ac210a03d0f2f1"),
        ] {
            assert_eq!(md5_hex(&file(name)).unwrap(), md5, "{name}");
        }
        check_real_set(
            &file("kuzushiji-sample-imgs.npz"),
            &file("kuzushiji-sample-labels.npz"),
            &file("kuzushiji-sample_classmap.csv"),
            800,
        );
    }
}
