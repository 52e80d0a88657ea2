//! The person at the keyboard: whether there is one, lines typed, a password typed unseen, and
//! Ctrl-C as "stop after this chunk".

use std::io::{BufRead, IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};

/// Whether a person can answer: standard input is a terminal.
pub fn attended() -> bool {
    std::io::stdin().is_terminal()
}

/// Asks on standard error and reads one line; `None` at the end of the input.
pub fn ask(prompt: &str) -> Option<String> {
    eprint!("{prompt}");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    match std::io::stdin().lock().read_line(&mut line) {
        Ok(0) | Err(_) => None,
        Ok(_) => Some(line.trim().to_owned()),
    }
}

/// Reads a password without showing it when typed at a terminal.
pub fn ask_secret(prompt: &str) -> Option<String> {
    if !attended() {
        return ask(prompt);
    }
    let fd = libc::STDIN_FILENO;
    // SAFETY: a zeroed termios is a valid value to be filled by tcgetattr.
    let mut old: libc::termios = unsafe { std::mem::zeroed() };
    // SAFETY: fd is standard input and old a valid termios to write into.
    let got = unsafe { libc::tcgetattr(fd, &mut old) } == 0;
    if got {
        let mut quiet = old;
        quiet.c_lflag &= !libc::ECHO;
        quiet.c_lflag |= libc::ECHONL;
        // SAFETY: quiet is a termios read from this terminal with echo switched off.
        unsafe { libc::tcsetattr(fd, libc::TCSANOW, &quiet) };
    }
    let answer = ask(prompt);
    if got {
        // SAFETY: restores the settings read above.
        unsafe { libc::tcsetattr(fd, libc::TCSANOW, &old) };
    }
    answer
}

static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_interrupt(_: libc::c_int) {
    STOP.store(true, Ordering::SeqCst);
}

/// From here on the first Ctrl-C asks to stop after the current chunk; a second one ends the
/// agent at once (the handler resets itself).
pub fn stop_on_interrupt() {
    // SAFETY: a zeroed sigaction with a handler that only stores an atomic is valid, and
    // SA_RESETHAND restores the default action after the first signal.
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = on_interrupt as extern "C" fn(libc::c_int) as usize;
        sa.sa_flags = libc::SA_RESETHAND | libc::SA_RESTART;
        libc::sigemptyset(&mut sa.sa_mask);
        libc::sigaction(libc::SIGINT, &sa, std::ptr::null_mut());
        libc::sigaction(libc::SIGTERM, &sa, std::ptr::null_mut());
    }
}

/// Whether Ctrl-C (or SIGTERM) asked to stop.
pub fn stopping() -> bool {
    STOP.load(Ordering::SeqCst)
}
