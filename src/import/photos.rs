//! Adding plain photos to a project (files or folders): each one checked by its header (a photo
//! beyond the size limits is refused before any memory is spent on its pixels) and by a full
//! decode, duplicates by content skipped (among the new photos and against the project's), then
//! copied atomically into `images/` under a name no image has, and given a split by ratio:
//! stratified by class where the photos' folders are named after the project's classes (the
//! seed's `images/<class>/…` layout), so every class gets its share of train, val and test.
//!
//! Like the other imports it leaves the project in memory alone and returns the new images as
//! [`ProjectChanges`] for the label session to merge; a cancelled import takes back its copies.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::{Hash as _, Hasher as _};
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::time::Instant;

use rand::SeedableRng as _;
use rand::seq::SliceRandom as _;
use serde::Serialize;

use super::foreign::{each_in_parallel, find_files, plain_name};
use crate::imageio::{decode_photo, size_problem};
use crate::label::ProjectChanges;
use crate::progress::Progress;
use crate::project::fsio::atomic_write;
use crate::project::{AnnotationState, ClassId, ImageEntry, Project, ProjectError, Split};

/// The photo files an import picks up in folders.
pub const PHOTO_EXTENSIONS: [&str; 3] = ["jpg", "jpeg", "png"];

/// What to import and how to split it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PhotoImportOptions {
    /// Files and folders (searched recursively for [`PHOTO_EXTENSIONS`]).
    pub paths: Vec<PathBuf>,
    /// Shares of train, val and test (any positive scale, e.g. 80,10,10); `None` leaves the new
    /// photos without a split.
    pub split_ratio: Option<[f64; 3]>,
    /// Seed of the shuffle that deals the splits out.
    pub seed: u64,
}

/// What an import did.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct PhotoImportReport {
    pub photos: usize,
    /// Files whose content is already in the project or earlier in this import.
    pub duplicates: usize,
    pub train: usize,
    pub val: usize,
    pub test: usize,
    pub unassigned: usize,
    /// Classes the split was stratified by (photos in folders named after them); photos in other
    /// folders were dealt out together.
    pub stratified_classes: usize,
    /// One sentence per file that was not imported, naming it.
    pub skipped: Vec<String>,
    pub seconds: f64,
}

/// Parses `80,10,10` into split shares.
pub fn parse_split_ratio(text: &str) -> Result<[f64; 3], String> {
    let parts: Vec<&str> = text.split(',').map(str::trim).collect();
    let [a, b, c] = parts.as_slice() else {
        return Err(format!(
            "expected TRAIN,VAL,TEST shares such as 80,10,10, got {text:?}"
        ));
    };
    let mut out = [0.0; 3];
    for (slot, part) in out.iter_mut().zip([a, b, c]) {
        *slot = part
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && *v >= 0.0)
            .ok_or_else(|| format!("{part:?} is not a share (a number ≥ 0) in {text:?}"))?;
    }
    if out.iter().sum::<f64>() <= 0.0 {
        return Err(format!("the shares in {text:?} add up to nothing"));
    }
    Ok(out)
}

/// A new photo that passed the checks.
struct Checked {
    path: PathBuf,
    len: u64,
    hash: u64,
    width: u32,
    height: u32,
}

fn content_hash(bytes: &[u8]) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    bytes.hash(&mut hasher);
    hasher.finish()
}

/// Reads the header, refuses sizes beyond the limits, then decodes the whole photo.
fn check(path: &Path) -> Result<Checked, String> {
    let bytes = std::fs::read(path)
        .map_err(|e| format!("cannot read the photo ({e}): {}", path.display()))?;
    let mut reader = image::ImageReader::new(Cursor::new(&bytes))
        .with_guessed_format()
        .map_err(|e| format!("cannot read the photo ({e}): {}", path.display()))?;
    if reader.format().is_none() {
        return Err(format!(
            "not a photo SegStudio reads (JPEG, PNG): {}",
            path.display()
        ));
    }
    // The header only: the size limits below are ours, checked before any pixel is decoded.
    reader.no_limits();
    let (width, height) = reader
        .into_dimensions()
        .map_err(|e| format!("the photo's header is corrupt ({e}): {}", path.display()))?;
    if let Some(problem) = size_problem(width, height) {
        return Err(format!("{problem}: {}", path.display()));
    }
    decode_photo(path, &bytes).map_err(|e| e.to_string())?;
    Ok(Checked {
        path: path.to_path_buf(),
        len: bytes.len() as u64,
        hash: content_hash(&bytes),
        width,
        height,
    })
}

/// Whether the file at `a` holds exactly `b`'s bytes.
fn same_content(a: &Path, b: &Path) -> bool {
    matches!((std::fs::read(a), std::fs::read(b)), (Ok(x), Ok(y)) if x == y)
}

/// Adds the photos of `options` to `project` (see the module docs).
pub fn import_photos(
    project: &Project,
    options: &PhotoImportOptions,
    progress: &Progress,
) -> Result<(ProjectChanges, PhotoImportReport), ProjectError> {
    let started = Instant::now();
    let mut files = Vec::new();
    for path in &options.paths {
        if !path.exists() {
            return Err(ProjectError::Other(format!(
                "there is no file or folder {}",
                path.display()
            )));
        }
        files.extend(find_files(path, &PHOTO_EXTENSIONS)?);
    }
    let mut report = PhotoImportReport::default();
    let checked = each_in_parallel(files.clone(), "checking photos", progress, |path| {
        check(&path)
    })?;

    // Duplicates: equal length, then equal hash, then equal bytes. The project's photos are
    // hashed only where a new photo has their length, so a large project costs little.
    let root = project.root().to_path_buf();
    let mut known: HashMap<u64, Vec<(u64, PathBuf)>> = HashMap::new();
    let new_lengths: HashSet<u64> = checked.iter().flatten().map(|c| c.len).collect();
    for entry in &project.file().images {
        let path = root.join("images").join(&entry.file);
        if let Ok(meta) = std::fs::metadata(&path)
            && new_lengths.contains(&meta.len())
            && let Ok(bytes) = std::fs::read(&path)
        {
            known
                .entry(meta.len())
                .or_default()
                .push((content_hash(&bytes), path));
        }
    }
    let mut unique = Vec::new();
    for result in checked {
        match result {
            Err(problem) => report.skipped.push(problem),
            Ok(c) => {
                let twins = known.entry(c.len).or_default();
                if twins
                    .iter()
                    .any(|(h, p)| *h == c.hash && same_content(p, &c.path))
                {
                    report.duplicates += 1;
                } else {
                    twins.push((c.hash, c.path.clone()));
                    unique.push(c);
                }
            }
        }
    }

    // Names no image of the project (or of this import) has: `2__name.jpg` and so on.
    let mut taken: HashSet<String> = project
        .file()
        .images
        .iter()
        .map(|i| i.file.to_lowercase())
        .collect();
    let targets: Vec<String> = unique
        .iter()
        .map(|c| {
            let name = plain_name(&c.path);
            let mut target = name.clone();
            let mut n = 2;
            while !taken.insert(target.to_lowercase()) {
                target = format!("{n}__{name}");
                n += 1;
            }
            target
        })
        .collect();
    let jobs: Vec<(usize, &Checked)> = unique.iter().enumerate().collect();
    let copied = each_in_parallel(jobs, "copying photos", progress, |(k, c)| {
        let bytes = std::fs::read(&c.path)
            .map_err(|e| format!("cannot read the photo ({e}): {}", c.path.display()))?;
        atomic_write(&root.join("images").join(&targets[k]), &bytes).map_err(|e| e.to_string())?;
        Ok(k)
    });
    let copied = match copied {
        Ok(copied) => copied,
        Err(err) => {
            // Cancelled: take back what was copied, so the project stays as it was.
            for target in &targets {
                std::fs::remove_file(root.join("images").join(target)).ok();
            }
            return Err(err);
        }
    };
    let classes: HashMap<String, ClassId> = project
        .file()
        .classes
        .iter()
        .map(|c| (c.name.to_lowercase(), c.id))
        .collect();
    let mut entries = Vec::new();
    let mut strata = Vec::new();
    for result in copied {
        match result {
            Ok(k) => {
                entries.push(ImageEntry {
                    file: targets[k].clone(),
                    width: unique[k].width,
                    height: unique[k].height,
                    split: None,
                    done: false,
                });
                strata.push(folder_class(&unique[k].path, &classes));
            }
            Err(problem) => report.skipped.push(problem),
        }
    }
    if let Some(ratio) = options.split_ratio {
        report.stratified_classes =
            assign_stratified_splits(&mut entries, &strata, ratio, options.seed);
    }
    let mut changes = ProjectChanges::default();
    for entry in entries {
        match entry.split {
            Some(Split::Train) => report.train += 1,
            Some(Split::Val) => report.val += 1,
            Some(Split::Test) => report.test += 1,
            None => report.unassigned += 1,
        }
        report.photos += 1;
        changes
            .new_images
            .push((entry, AnnotationState::Unlabelled));
    }
    report.seconds = started.elapsed().as_secs_f64();
    Ok((changes, report))
}

/// The class a photo's folder is named after (case aside), if any.
fn folder_class(path: &Path, classes: &HashMap<String, ClassId>) -> Option<ClassId> {
    let folder = path.parent()?.file_name()?.to_str()?;
    classes.get(&folder.to_lowercase()).copied()
}

/// Deals the splits out by [`assign_splits`] within each stratum (a class, or `None` for photos of
/// no known class), each with its own rounding; returns how many classes there were.
fn assign_stratified_splits(
    entries: &mut [ImageEntry],
    strata: &[Option<ClassId>],
    ratio: [f64; 3],
    seed: u64,
) -> usize {
    let mut groups: BTreeMap<Option<ClassId>, Vec<usize>> = BTreeMap::new();
    for (i, stratum) in strata.iter().enumerate() {
        groups.entry(*stratum).or_default().push(i);
    }
    for members in groups.values() {
        let mut group: Vec<ImageEntry> = members.iter().map(|&i| entries[i].clone()).collect();
        assign_splits(&mut group, ratio, seed);
        for (&i, entry) in members.iter().zip(group) {
            entries[i].split = entry.split;
        }
    }
    groups.keys().filter(|k| k.is_some()).count()
}

/// Deals the splits out in proportion to `ratio` over a seeded shuffle of the photos (by name, so
/// the same photos and seed give the same splits). Counts are rounded by largest remainder.
fn assign_splits(entries: &mut [ImageEntry], ratio: [f64; 3], seed: u64) {
    let n = entries.len();
    let total: f64 = ratio.iter().sum();
    let exact: Vec<f64> = ratio.iter().map(|r| r / total * n as f64).collect();
    let mut counts: Vec<usize> = exact.iter().map(|e| e.floor() as usize).collect();
    let mut order: Vec<usize> = (0..3).collect();
    order.sort_by(|&a, &b| (exact[b] - exact[b].floor()).total_cmp(&(exact[a] - exact[a].floor())));
    for &k in order.iter().take(n - counts.iter().sum::<usize>()) {
        counts[k] += 1;
    }
    let mut by_name: BTreeMap<String, usize> = BTreeMap::new();
    for (i, e) in entries.iter().enumerate() {
        by_name.insert(e.file.clone(), i);
    }
    let mut shuffled: Vec<usize> = by_name.into_values().collect();
    shuffled.shuffle(&mut rand_chacha::ChaCha8Rng::seed_from_u64(seed));
    let splits = [Split::Train, Split::Val, Split::Test];
    let mut next = shuffled.into_iter();
    for (split, count) in splits.into_iter().zip(counts) {
        for i in next.by_ref().take(count) {
            entries[i].split = Some(split);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_parse_and_deal_out_by_largest_remainder() {
        assert_eq!(
            parse_split_ratio("80, 10,10").unwrap().map(|v| v as u32),
            [80, 10, 10]
        );
        assert!(parse_split_ratio("80,10").is_err());
        assert!(parse_split_ratio("0,0,0").is_err());
        assert!(parse_split_ratio("1,-1,1").is_err());
        let mut entries: Vec<ImageEntry> = (0..7)
            .map(|i| ImageEntry {
                file: format!("p{i}.jpg"),
                width: 4,
                height: 4,
                split: None,
                done: false,
            })
            .collect();
        // 7 × (0.6, 0.2, 0.2) = 4.2, 1.4, 1.4: floors 4, 1, 1 and the one left goes to val
        // (largest remainder, ties in order).
        assign_splits(&mut entries, [60.0, 20.0, 20.0], 3);
        let count = |s| entries.iter().filter(|e| e.split == Some(s)).count();
        assert_eq!(
            (count(Split::Train), count(Split::Val), count(Split::Test)),
            (4, 2, 1)
        );
        let again = {
            let mut e2 = entries.clone();
            for e in &mut e2 {
                e.split = None;
            }
            assign_splits(&mut e2, [60.0, 20.0, 20.0], 3);
            e2
        };
        assert_eq!(again, entries, "same photos and seed: same splits");
    }

    #[test]
    fn photos_in_class_folders_are_split_class_by_class() {
        let classes: HashMap<String, ClassId> =
            [("axis".to_owned(), 1), ("nut".to_owned(), 2)].into();
        let paths: Vec<PathBuf> = (0..5)
            .map(|i| PathBuf::from(format!("in/Axis/a{i}.jpg")))
            .chain((0..5).map(|i| PathBuf::from(format!("in/nut/n{i}.jpg"))))
            .chain((0..3).map(|i| PathBuf::from(format!("in/misc/m{i}.jpg"))))
            .collect();
        let strata: Vec<Option<ClassId>> =
            paths.iter().map(|p| folder_class(p, &classes)).collect();
        assert_eq!(strata[0], Some(1), "folder names match classes case aside");
        assert_eq!(strata[12], None);
        let mut entries: Vec<ImageEntry> = paths
            .iter()
            .map(|p| ImageEntry {
                file: p.file_name().unwrap().to_string_lossy().into_owned(),
                width: 4,
                height: 4,
                split: None,
                done: false,
            })
            .collect();
        let stratified = assign_stratified_splits(&mut entries, &strata, [60.0, 20.0, 20.0], 7);
        assert_eq!(stratified, 2);
        // 5 × (0.6, 0.2, 0.2) = 3, 1, 1 in each class; the three others 1.8, 0.6, 0.6 → 2, 1, 0.
        // Unstratified, 13 photos deal 7.8, 2.6, 2.6 → 8, 3, 2 with no class sure of a val photo.
        let count = |range: std::ops::Range<usize>, s| {
            entries[range].iter().filter(|e| e.split == Some(s)).count()
        };
        for class in [0..5, 5..10] {
            assert_eq!(
                (
                    count(class.clone(), Split::Train),
                    count(class.clone(), Split::Val),
                    count(class, Split::Test)
                ),
                (3, 1, 1)
            );
        }
        assert_eq!(
            (
                count(10..13, Split::Train),
                count(10..13, Split::Val),
                count(10..13, Split::Test)
            ),
            (2, 1, 0)
        );
    }
}
