#if canImport(CMalloc)
import CMalloc
#endif

/// The daemon's allocator setting: one malloc arena for all threads.
///
/// glibc gives threads arenas of their own (up to eight per core), and each keeps the memory freed
/// into it. An upload's 256 KiB chunks are read on the cooperative pool's threads and freed on the
/// event loop's, so with an arena per thread a 200 MB upload left the daemon at 66 MiB resident
/// instead of 47 (Benchmarks/large.sh). The daemon's threads are few and allocate little else; one
/// shared arena cost no measurable CPU in a burst of 1,000 documents.
public enum MallocArenas {
    /// Call first thing, on the main thread: threads that already have an arena keep it (with the
    /// call at the start of `run`, where the cooperative pool had started, the peak was 62 MiB).
    public static func useOne() {
        #if canImport(CMalloc)
        _ = mallopt(M_ARENA_MAX, 1)
        #endif
    }
}
