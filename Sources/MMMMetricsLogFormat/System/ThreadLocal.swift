#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A value per thread, made on first use and released when its thread ends.
package final class ThreadLocal<Value: AnyObject>: Sendable {
    private let key: pthread_key_t

    package init() {
        var key = pthread_key_t()
        // The destructor's parameter is optional in Glibc's declaration, not in Darwin's.
        #if canImport(Darwin)
        pthread_key_create(&key) { raw in Unmanaged<AnyObject>.fromOpaque(raw).release() }
        #else
        pthread_key_create(&key) { raw in
            if let raw { Unmanaged<AnyObject>.fromOpaque(raw).release() }
        }
        #endif
        self.key = key
    }

    /// This thread's value, made by `make` the first time.
    package func value(_ make: () -> Value) -> Value {
        if let existing = pthread_getspecific(key) { return Unmanaged<AnyObject>.fromOpaque(existing).takeUnretainedValue() as! Value }
        let value = make()
        pthread_setspecific(key, Unmanaged<AnyObject>.passRetained(value).toOpaque())
        return value
    }
}
