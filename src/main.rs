//! The `segstudio` binary: the studio window by default, CLI subcommands otherwise.

use clap::Parser as _;
use segstudio::cli::{Cli, Command, StudioArgs};

/// Process settings for the tensor work, applied before any thread exists.
///
/// - glibc serves allocations above 32 MiB with fresh `mmap`s, so every large activation or
///   gradient buffer of a training step is page-faulted and zeroed by the kernel again (a third
///   of the batch-norm backward's time). With `mmap` and trimming off, freed buffers stay in
///   the heap and are reused; the process keeps its peak heap (a trim threshold of 1 GiB
///   halved Xception's inference speed on every other run: its working set is larger).
/// - Candle's element-wise ops run on their own spinning thread pool, which competes with rayon
///   (our kernels and gemm) for the same cores; one Candle thread leaves the cores to rayon.
///   An explicit `CANDLE_NUM_THREADS` is respected.
#[expect(
    unsafe_code,
    reason = "mallopt and set_var before any thread runs; see SAFETY below"
)]
fn tune_process() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator parameters; called before any other thread runs.
    unsafe {
        libc::mallopt(libc::M_MMAP_MAX, 0);
        libc::mallopt(libc::M_TRIM_THRESHOLD, -1); // never trim: see mallopt(3)
        libc::mallopt(libc::M_TOP_PAD, 64 << 20);
    }
    if std::env::var_os("CANDLE_NUM_THREADS").is_none() {
        // SAFETY: the process is still single-threaded, so nothing reads the environment
        // concurrently.
        unsafe { std::env::set_var("CANDLE_NUM_THREADS", "1") };
    }
}

fn main() {
    tune_process();
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    let cli = Cli::parse();
    let code = match cli.command {
        None => segstudio::ui::run_studio(StudioArgs::default()),
        Some(Command::Studio(args)) => segstudio::ui::run_studio(args),
        Some(command) => segstudio::cli::run(command),
    };
    std::process::exit(code);
}
