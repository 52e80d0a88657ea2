//! `make install` into a temporary prefix: binaries that run, templates, assets, an example
//! configuration that the installed receiver accepts, and service units naming real paths.

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace")
        .to_path_buf()
}

#[test]
fn make_install_into_a_temporary_prefix() {
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_oott-receiver"))
        .parent()
        .expect("bin dir")
        .to_path_buf();
    for bin in ["oott-render", "oott-agent"] {
        assert!(
            bin_dir.join(bin).is_file(),
            "{bin} is not built beside oott-receiver: run the tests with `make test` \
             (cargo test --workspace builds them all)"
        );
    }
    let tmp = tempfile::tempdir().expect("temp dir");
    let prefix = tmp.path().join("prefix");
    let out = Command::new("make")
        .arg("-C")
        .arg(repo())
        .arg("install-files")
        .arg(format!("PREFIX={}", prefix.display()))
        .arg(format!("BIN_DIR={}", bin_dir.display()))
        .arg("OOTT_USER=oott")
        .arg("NGINX_BIN=/usr/sbin/nginx")
        .output()
        .expect("run make");
    assert!(
        out.status.success(),
        "make install-files: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    for f in [
        "bin/oott-receiver",
        "bin/oott-render",
        "bin/oott-agent",
        "share/oott/templates/nginx.conf",
        "share/oott/templates/movie.html",
        "share/oott/assets/app.js",
        "share/oott/assets/site.css",
        "etc/oott/oott.toml",
        "lib/systemd/system/oott-receiver.service",
        "lib/systemd/system/oott-nginx.service",
        "share/oott/launchd/org.openott.receiver.plist",
    ] {
        assert!(prefix.join(f).is_file(), "{f} is not installed");
    }
    // The installed binary runs with the installed configuration.
    let conf = prefix.join("etc/oott/oott.toml");
    let data = tmp.path().join("data");
    let out = Command::new(prefix.join("bin/oott-receiver"))
        .arg("nginx-config")
        .env("OOTT_CONFIG", &conf)
        .env("OOTT_DATA_DIR", &data)
        .env("OOTT_MEDIA_ROOT", tmp.path().join("media"))
        .output()
        .expect("installed oott-receiver");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("auth_request /_oott_auth;"));
    let agent = Command::new(prefix.join("bin/oott-agent"))
        .arg("--help")
        .output()
        .expect("installed oott-agent");
    assert!(String::from_utf8_lossy(&agent.stdout).contains("upload"));

    // The units name the installed paths and nothing is left to fill in.
    let bin = prefix.join("bin").display().to_string();
    for unit in [
        "lib/systemd/system/oott-receiver.service",
        "lib/systemd/system/oott-nginx.service",
        "share/oott/launchd/org.openott.receiver.plist",
    ] {
        let text = std::fs::read_to_string(prefix.join(unit)).expect("unit");
        assert!(!text.contains('@'), "{unit} has a placeholder left: {text}");
        assert!(text.contains(&format!("{bin}/oott-receiver")), "{unit}");
        assert!(
            text.contains(&conf.display().to_string()),
            "{unit} names the config"
        );
    }
    let sync = std::fs::read_to_string(prefix.join("lib/systemd/system/oott-sync.service"))
        .expect("the sync agent's unit");
    assert!(!sync.contains('@'), "{sync}");
    assert!(sync.contains(&format!("{bin}/oott-agent sync")), "{sync}");
    assert!(sync.contains(&conf.display().to_string()), "{sync}");
    let receiver = std::fs::read_to_string(prefix.join("lib/systemd/system/oott-receiver.service"))
        .expect("unit");
    assert!(receiver.contains("User=oott") && receiver.contains("Restart=always"));
    assert!(receiver.contains("WantedBy=multi-user.target"));
    let nginx = std::fs::read_to_string(prefix.join("lib/systemd/system/oott-nginx.service"))
        .expect("unit");
    assert!(nginx.contains("ExecStart=/usr/sbin/nginx -p /run/oott-nginx"));
    // What the nginx unit runs before starting works as written.
    let written = tmp.path().join("nginx.conf");
    let status = Command::new(prefix.join("bin/oott-receiver"))
        .args(["nginx-config", "--output"])
        .arg(&written)
        .env("OOTT_CONFIG", &conf)
        .env("OOTT_DATA_DIR", &data)
        .status()
        .expect("nginx-config --output");
    assert!(status.success());
    let text = std::fs::read_to_string(&written).expect("written config");
    let check = Command::new(crate::support::nginx::binary())
        .arg("-t")
        .arg("-p")
        .arg(data.join("nginx"))
        .arg("-c")
        .arg(&written)
        .args(["-e", "stderr"])
        .output()
        .expect("nginx -t");
    assert!(
        check.status.success(),
        "nginx -t: {}\n{text}",
        String::from_utf8_lossy(&check.stderr)
    );
    // Installing again keeps a configuration the person has edited.
    std::fs::write(&conf, "port = 9999\n").expect("edit config");
    let again = Command::new("make")
        .arg("-C")
        .arg(repo())
        .arg("install-files")
        .arg(format!("PREFIX={}", prefix.display()))
        .arg(format!("BIN_DIR={}", bin_dir.display()))
        .output()
        .expect("make again");
    assert!(again.status.success());
    assert_eq!(
        std::fs::read_to_string(&conf).expect("config"),
        "port = 9999\n"
    );
}
