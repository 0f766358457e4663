#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A task executor with one operating-system thread of its own: the consumer of each collector runs
/// on one, so a collector that blocks its thread (a semaphore, a synchronous socket, `usleep`)
/// blocks only that thread, never a thread of Swift's cooperative pool, which the callers, the
/// flush timeouts and every other collector share (with two blocking collectors on two cores the
/// pool had no thread left and `flush` never returned).
///
/// Jobs run in the order they were enqueued. ``stop()`` ends the thread once the jobs enqueued
/// before it have run; a job enqueued after that runs on the global concurrent executor.
final class ThreadTaskExecutor: TaskExecutor, @unchecked Sendable {  // `queue` and `stopped` only under `mutex`
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let wake = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var queue: [UnownedJob] = []
    private var stopped = false

    /// Starts the thread; `nil` when the system has no thread to give (the caller runs without one).
    static func start() -> ThreadTaskExecutor? {
        let executor = ThreadTaskExecutor()
        let argument = Unmanaged.passRetained(executor).toOpaque()
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        // Collectors hand work on (or block); they do not recurse deeply.
        pthread_attr_setstacksize(&attributes, 1 << 20)
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        #if canImport(Darwin)
        var thread: pthread_t?
        let result = pthread_create(&thread, &attributes, { pointer in
            Unmanaged<ThreadTaskExecutor>.fromOpaque(pointer).takeRetainedValue().runJobs()
            return nil
        }, argument)
        #else
        var thread = pthread_t()
        let result = pthread_create(&thread, &attributes, { pointer in
            Unmanaged<ThreadTaskExecutor>.fromOpaque(pointer!).takeRetainedValue().runJobs()
            return nil
        }, argument)
        #endif
        guard result == 0 else {
            Unmanaged<ThreadTaskExecutor>.fromOpaque(argument).release()
            return nil
        }
        return executor
    }

    private init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(wake, nil)
    }

    deinit {
        pthread_cond_destroy(wake)
        pthread_mutex_destroy(mutex)
        wake.deallocate()
        mutex.deallocate()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        pthread_mutex_lock(mutex)
        let accepted = !stopped
        if accepted {
            queue.append(job)
            pthread_cond_signal(wake)
        }
        pthread_mutex_unlock(mutex)
        if !accepted { globalConcurrentExecutor.enqueue(job) }
    }

    /// Ends the thread after the jobs already enqueued.
    func stop() {
        pthread_mutex_lock(mutex)
        stopped = true
        pthread_cond_signal(wake)
        pthread_mutex_unlock(mutex)
    }

    private func runJobs() {
        var batch: [UnownedJob] = []
        while true {
            pthread_mutex_lock(mutex)
            while queue.isEmpty && !stopped { pthread_cond_wait(wake, mutex) }
            if queue.isEmpty {
                pthread_mutex_unlock(mutex)
                return
            }
            swap(&batch, &queue)
            pthread_mutex_unlock(mutex)
            for job in batch { job.runSynchronously(on: asUnownedTaskExecutor()) }
            batch.removeAll(keepingCapacity: true)
        }
    }
}
