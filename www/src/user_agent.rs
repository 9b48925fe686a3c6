//! A short "Browser N on OS" for the visitor panel, from a user agent string.

/// E.g. `Chrome 156 on Linux`; the raw string when nothing is recognised.
pub fn describe(ua: &str) -> String {
    let version_after = |marker: &str| {
        ua.split(marker).nth(1).map(|rest| rest.split(|c: char| !c.is_ascii_digit()).next().unwrap_or("").to_owned())
    };
    let browser = [("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome")]
        .iter()
        .find_map(|(marker, name)| version_after(marker).map(|v| format!("{name} {v}")))
        .or_else(|| ua.contains("Safari/").then(|| format!("Safari {}", version_after("Version/").unwrap_or_default())));
    let os = [
        ("Android", "Android"),
        ("iPhone", "iOS"),
        ("iPad", "iPadOS"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ]
    .iter()
    .find(|(marker, _)| ua.contains(marker))
    .map(|(_, name)| *name);
    match (browser, os) {
        (Some(b), Some(os)) => format!("{} on {os}", b.trim()),
        (Some(b), None) => b.trim().to_owned(),
        _ => ua.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::describe;

    #[test]
    fn common_browsers_are_named() {
        let chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36";
        assert_eq!(describe(chrome), "Chrome 156 on Linux");
        let firefox = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:130.0) Gecko/20100101 Firefox/130.0";
        assert_eq!(describe(firefox), "Firefox 130 on Windows");
        let safari = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";
        assert_eq!(describe(safari), "Safari 17 on iOS");
        assert_eq!(describe("curl/8"), "curl/8");
    }
}
