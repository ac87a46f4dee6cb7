//! The output folder: files written under temporary names, gzipped when asked, and
//! renamed when the run is complete, so a failed run leaves nothing behind.

use crate::error::Error;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// A file being written: buffered, and gzipped when its name ends in `.gz`.
pub enum OutFile {
    /// As it is.
    Plain(BufWriter<File>),
    /// Gzipped (buffered in front of the encoder: records arrive in small writes).
    Gz(BufWriter<flate2::write::GzEncoder<File>>),
}

impl Write for OutFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            OutFile::Plain(w) => w.write(buf),
            OutFile::Gz(w) => w.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            OutFile::Plain(w) => w.flush(),
            OutFile::Gz(w) => w.flush(),
        }
    }
}

impl OutFile {
    /// Writes what is buffered, and the gzip trailer.
    pub fn finish(self) -> std::io::Result<()> {
        match self {
            OutFile::Plain(mut w) => w.flush(),
            OutFile::Gz(w) => w.into_inner().map_err(|e| e.into_error())?.finish()?.flush(),
        }
    }
}

/// An output folder whose files appear only when complete.
pub struct OutDir {
    dir: PathBuf,
    created: bool,
    temps: Vec<(PathBuf, PathBuf)>,
}

pub(super) fn write_err(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::Write {
        path: path.display().to_string(),
        reason: e.to_string(),
    }
}

impl OutDir {
    /// Opens (creating if needed) the folder.
    pub fn open(dir: &Path) -> Result<OutDir, Error> {
        let created = !dir.exists();
        std::fs::create_dir_all(dir).map_err(|e| write_err(dir, e))?;
        Ok(OutDir {
            dir: dir.to_path_buf(),
            created,
            temps: Vec::new(),
        })
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// A temporary file that will become `name` (gzipped when `name` ends in `.gz`).
    pub fn create(&mut self, name: &str) -> Result<OutFile, Error> {
        let tmp = self.dir.join(format!(".{name}.tmp"));
        let f = File::create(&tmp).map_err(|e| write_err(&tmp, e))?;
        self.temps.push((tmp, self.dir.join(name)));
        Ok(if name.ends_with(".gz") {
            let gz = flate2::write::GzEncoder::new(f, flate2::Compression::fast());
            OutFile::Gz(BufWriter::with_capacity(1 << 16, gz))
        } else {
            OutFile::Plain(BufWriter::new(f))
        })
    }

    /// Renames every temporary file to its final name.
    pub fn commit(mut self) -> Result<(), Error> {
        for (tmp, fin) in std::mem::take(&mut self.temps) {
            std::fs::rename(&tmp, &fin).map_err(|e| write_err(&fin, e))?;
        }
        self.created = false;
        Ok(())
    }
}

impl Drop for OutDir {
    fn drop(&mut self) {
        for (t, _) in &self.temps {
            let _ = std::fs::remove_file(t);
        }
        if self.created {
            let _ = std::fs::remove_dir(&self.dir);
        }
    }
}
