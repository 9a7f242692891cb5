//! Container image references, as `[database] image` and `--image` name them.

use std::str::FromStr;

use crate::config::Invalid;

/// `registry/name:tag`, split into name and tag (`latest` when there is none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ImageRef {
    pub name: String,
    pub(crate) tag: String,
}

impl FromStr for ImageRef {
    type Err = Invalid;

    fn from_str(image: &str) -> Result<ImageRef, Invalid> {
        let bad = |detail: &str| Invalid(format!("`{image}`: {detail}"));
        if image.trim().is_empty() || image.chars().any(char::is_whitespace) {
            return Err(bad("not an image name"));
        }
        if image.contains('@') {
            return Err(bad("image digests (name@sha256:...) are not supported; name the image by tag"));
        }
        let slash = image.rfind('/').map_or(0, |i| i + 1);
        Ok(match image[slash..].rfind(':') {
            Some(i) => ImageRef { name: image[..slash + i].to_string(), tag: image[slash + i + 1..].to_string() },
            None => ImageRef { name: image.to_string(), tag: "latest".to_string() },
        })
    }
}

/// A list of images for a version matrix: each valid, none twice.
pub(crate) fn check_list(images: &[String]) -> Result<(), Invalid> {
    for (i, image) in images.iter().enumerate() {
        image.parse::<ImageRef>()?;
        if images[..i].contains(image) {
            return Err(Invalid(format!("`{image}` is listed twice")));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_names_split_at_the_tag() {
        let s = |i: &str| i.parse::<ImageRef>().map(|r| (r.name, r.tag)).map_err(|e| e.to_string());
        assert_eq!(s("postgres:16-alpine").unwrap(), ("postgres".into(), "16-alpine".into()));
        assert_eq!(s("postgres").unwrap(), ("postgres".into(), "latest".into()));
        assert_eq!(s("registry:5000/team/pg:15").unwrap(), ("registry:5000/team/pg".into(), "15".into()));
        assert_eq!(s("registry:5000/team/pg").unwrap(), ("registry:5000/team/pg".into(), "latest".into()));
        assert!(s("postgres@sha256:abc").unwrap_err().contains("digests"));
        assert!(s(" ").is_err());
        assert!(check_list(&["a:1".into(), "a:1".into()]).unwrap_err().0.contains("twice"));
    }
}
