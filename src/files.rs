//! Reading the small files an operator points hubfix at (secrets, CA chains, runbooks,
//! answers files) without ever blocking or reading without end: the file's type is checked
//! before it is opened, so a FIFO or a device is refused instead of waited on, and at most
//! one byte more than the limit is read, so `/dev/zero` or a log file given by mistake is
//! refused at once.

use std::io::Read;
use std::path::Path;

/// Why a file was not read.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("it is not a regular file (it is {0})")]
    NotRegular(&'static str),
    #[error("it is larger than {}", size(*.0))]
    TooLarge(u64),
    #[error("it is not UTF-8 text")]
    NotText,
    #[error("{}", io_message(.0))]
    Io(#[from] std::io::Error),
}

fn io_message(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "there is no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

/// A size for people: `4 KiB`, `1 MiB`.
pub fn size(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 20 && b % (1 << 20) == 0 => format!("{} MiB", b >> 20),
        b if b >= 1 << 10 && b % (1 << 10) == 0 => format!("{} KiB", b >> 10),
        b => format!("{b} bytes"),
    }
}

fn kind_of(file_type: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return "a FIFO";
        }
        if file_type.is_char_device() {
            return "a character device";
        }
        if file_type.is_block_device() {
            return "a block device";
        }
        if file_type.is_socket() {
            return "a socket";
        }
    }
    if file_type.is_dir() {
        "a directory"
    } else {
        "not a plain file"
    }
}

/// Reads at most `limit + 1` bytes from an open reader; more than `limit` is an error.
fn read_limited(reader: impl Read, limit: u64) -> Result<Vec<u8>, FileError> {
    let mut bytes = Vec::new();
    reader.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(FileError::TooLarge(limit));
    }
    Ok(bytes)
}

/// The contents of a regular file (a symbolic link to one is followed) of at most `limit`
/// bytes. The type is checked before opening, and the file is opened non-blocking, so a FIFO
/// swapped in between is not waited on either.
pub fn read_regular(path: &Path, limit: u64) -> Result<Vec<u8>, FileError> {
    let metadata = std::fs::metadata(path)?;
    if !metadata.is_file() {
        return Err(FileError::NotRegular(kind_of(metadata.file_type())));
    }
    if metadata.len() > limit {
        return Err(FileError::TooLarge(limit));
    }
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::OpenOptionsExt;
        const O_NONBLOCK: i32 = 0o4000;
        options.custom_flags(O_NONBLOCK);
    }
    let file = options.open(path)?;
    let metadata = file.metadata()?;
    if !metadata.is_file() {
        return Err(FileError::NotRegular(kind_of(metadata.file_type())));
    }
    read_limited(file, limit)
}

/// [`read_regular`] as UTF-8 text.
pub fn read_regular_text(path: &Path, limit: u64) -> Result<String, FileError> {
    String::from_utf8(read_regular(path, limit)?).map_err(|_| FileError::NotText)
}

/// Text of at most `limit` bytes from a file given on the command line: a regular file, or
/// a pipe such as `<(...)` or `/dev/stdin`, which is read to its end, but never more than
/// the limit (so `/dev/zero` is refused at once). A directory is refused.
pub fn read_text_up_to(path: &Path, limit: u64) -> Result<String, FileError> {
    let metadata = std::fs::metadata(path)?;
    if metadata.is_dir() {
        return Err(FileError::NotRegular("a directory"));
    }
    if metadata.is_file() {
        return read_regular_text(path, limit);
    }
    let bytes = read_limited(std::fs::File::open(path)?, limit)?;
    String::from_utf8(bytes).map_err(|_| FileError::NotText)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_are_refused_and_sizes_are_bounded() {
        let e = read_regular(Path::new("/dev/zero"), 16).unwrap_err();
        assert_eq!(
            e.to_string(),
            "it is not a regular file (it is a character device)"
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, [b'a'; 17]).unwrap();
        assert_eq!(
            read_regular(&path, 16).unwrap_err().to_string(),
            "it is larger than 16 bytes"
        );
        assert_eq!(read_regular(&path, 17).unwrap().len(), 17);
        assert_eq!(
            read_text_up_to(Path::new("/dev/zero"), 4096)
                .unwrap_err()
                .to_string(),
            "it is larger than 4 KiB"
        );
        assert_eq!(
            read_regular(dir.path(), 16).unwrap_err().to_string(),
            "it is not a regular file (it is a directory)"
        );
        assert_eq!(size(1 << 20), "1 MiB");
    }
}
