//! File names as CI systems want them: paths relative to the repository root, `/`-separated.
//!
//! The front end names files as the user passed them (relative to the directory it ran in, or
//! absolute); SARIF and GitHub annotations need them relative to the repository root.

/// Where the run happened, relative to the repository. The front end fills it in (it knows the
/// file system); the default treats names as relative to the repository root already.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RepoPaths {
    /// The directory the tool ran in, relative to the repository root (`k8s` when run from
    /// `<root>/k8s`), `/`-separated; empty at the root.
    pub cwd_in_repo: String,
    /// The repository root as an absolute path, to map absolute file names into it.
    pub root: Option<String>,
}

impl RepoPaths {
    /// The repository-relative path of a file name, or `None` when the name is not a file of the
    /// repository: `<stdin>`, an absolute path outside the root, or `..` leaving the root.
    pub fn relative(&self, name: &str) -> Option<String> {
        if name.is_empty() || (name.starts_with('<') && name.ends_with('>')) {
            return None;
        }
        let name = name.replace('\\', "/");
        let joined = if is_absolute(&name) {
            let root = normalize(&self.root.as_deref()?.replace('\\', "/"), true)?;
            let file = normalize(&name, true)?;
            if root.is_empty() {
                file
            } else {
                file.strip_prefix(&root)?.strip_prefix('/')?.to_string()
            }
        } else {
            format!("{}/{name}", self.cwd_in_repo.replace('\\', "/"))
        };
        let path = normalize(&joined, false)?;
        (!path.is_empty()).then_some(path)
    }
}

fn is_absolute(path: &str) -> bool {
    let bytes = path.as_bytes();
    path.starts_with('/')
        || (bytes.len() >= 3 && bytes[0].is_ascii_alphabetic() && &bytes[1..3] == b":/")
}

/// Drops empty and `.` segments and resolves `..`; `None` when `..` climbs above the start.
/// An absolute path keeps its leading part (`/` is dropped, `C:` kept) so prefixes compare.
fn normalize(path: &str, absolute: bool) -> Option<String> {
    let mut out: Vec<&str> = Vec::new();
    let mut segments = path.split('/');
    let mut floor = 0;
    if absolute && path.as_bytes().get(1) == Some(&b':') {
        out.push(segments.next()?);
        floor = 1;
    }
    for segment in segments {
        match segment {
            "" | "." => {}
            ".." => {
                if out.len() == floor {
                    return None;
                }
                out.pop();
            }
            s => out.push(s),
        }
    }
    Some(out.join("/"))
}

/// A relative path as a URI reference (RFC 3986): bytes outside the unreserved set and `/` are
/// percent-encoded, so spaces, `#`, `?`, `%` and `:` (which would read as a scheme) are safe.
pub fn uri_encode(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// An absolute directory as a `file:` URI ending in `/` (for SARIF's `originalUriBaseIds`).
pub fn file_uri_of_dir(dir: &str) -> Option<String> {
    let dir = dir.replace('\\', "/");
    if !is_absolute(&dir) {
        return None;
    }
    let path = normalize(&dir, true)?;
    let encoded = uri_encode(&path).replacen("%3A", ":", 1);
    Some(if encoded.is_empty() {
        "file:///".to_string()
    } else {
        format!("file:///{encoded}/")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(cwd: &str, root: Option<&str>) -> RepoPaths {
        RepoPaths {
            cwd_in_repo: cwd.to_string(),
            root: root.map(str::to_string),
        }
    }

    #[test]
    fn relative_names_are_normalized_and_joined_to_the_cwd() {
        let root = at("", None);
        assert_eq!(
            root.relative("./k8s/np.yaml").as_deref(),
            Some("k8s/np.yaml")
        );
        assert_eq!(
            root.relative(".\\k8s\\np.yaml").as_deref(),
            Some("k8s/np.yaml")
        );
        assert_eq!(
            root.relative("a/./b//c.yaml").as_deref(),
            Some("a/b/c.yaml")
        );
        let sub = at("deploy/k8s", None);
        assert_eq!(
            sub.relative("np.yaml").as_deref(),
            Some("deploy/k8s/np.yaml")
        );
        assert_eq!(sub.relative("../x.yaml").as_deref(), Some("deploy/x.yaml"));
        assert_eq!(sub.relative("../../../x.yaml"), None);
    }

    #[test]
    fn stdin_and_files_outside_the_repository_have_no_path() {
        let r = at("", Some("/home/u/repo"));
        assert_eq!(r.relative("<stdin>"), None);
        assert_eq!(r.relative("/etc/x.yaml"), None);
        assert_eq!(r.relative("/home/u/repository/x.yaml"), None);
        assert_eq!(
            r.relative("/home/u/repo/k8s/x.yaml").as_deref(),
            Some("k8s/x.yaml")
        );
        assert_eq!(at("", None).relative("/home/u/repo/x.yaml"), None);
        let win = at("", Some("C:\\work\\repo"));
        assert_eq!(
            win.relative("C:\\work\\repo\\k8s\\x.yaml").as_deref(),
            Some("k8s/x.yaml")
        );
    }

    #[test]
    fn uris_are_percent_encoded() {
        assert_eq!(uri_encode("k8s/my np#1.yaml"), "k8s/my%20np%231.yaml");
        assert_eq!(uri_encode("a:b/ü"), "a%3Ab/%C3%BC");
        assert_eq!(
            file_uri_of_dir("/work/my repo").as_deref(),
            Some("file:///work/my%20repo/")
        );
        assert_eq!(
            file_uri_of_dir("C:\\src").as_deref(),
            Some("file:///C:/src/")
        );
        assert_eq!(file_uri_of_dir("relative"), None);
    }
}
