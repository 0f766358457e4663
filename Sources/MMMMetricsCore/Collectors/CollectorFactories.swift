
/// Turns ``CollectorConfig`` entries into collectors: the plugin system.
///
/// Every collector type, built-in or not, is a factory registered under a name: `memory` is
/// registered here; the `file` collector registers itself from `MMMMetricsLog`
/// (`FileMetricsCollector.install(into:)`), a remote collector from its own module, a third-party
/// plugin with ``register(_:identity:factory:)``. An entry resolves through the factory its
/// ``CollectorConfig/type`` names; the core names no particular plugin.
///
/// A built collector is named by its type and a non-secret identity that its factory reads from
/// the options (a path, a host), never by its options: ``collectorName(for:)``.
public final class CollectorFactories: Sendable {
    /// Builds a collector from its options (the entry's ``CollectorConfig/options``) and the metrics configuration.
    public typealias Factory = @Sendable (_ options: JSONValue, _ metrics: MetricsConfig) throws -> any MetricsCollector
    /// Reads the non-secret part of the options that tells two collectors of one type apart (a path,
    /// a host and port), or `nil`. It must never return a secret such as an API key.
    public typealias Identity = @Sendable (_ options: JSONValue) -> String?

    private struct Registration: Sendable {
        let factory: Factory
        let identity: Identity?
        let builtIn: Bool
    }

    private let table = LockedState<[String: Registration]>([:])

    /// Factories with the built-in `memory` collector (bounded by the configuration's `bufferSize`).
    public init() {
        table.withLock { table in
            table["memory"] = Registration(
                factory: { _, metrics in MemoryMetricsCollector(capacity: metrics.bufferSize) }, identity: nil, builtIn: true)
        }
    }

    /// Registers (or replaces) the factory for collectors of type `type`.
    public func register(_ type: String, identity: Identity? = nil, factory: @escaping Factory) {
        table.withLock { $0[type] = Registration(factory: factory, identity: identity, builtIn: false) }
    }

    /// Registers a collector this package provides (left out of ``registeredNames``).
    package func registerBuiltIn(_ type: String, identity: Identity? = nil, factory: @escaping Factory) {
        table.withLock { $0[type] = Registration(factory: factory, identity: identity, builtIn: true) }
    }

    /// The names plugins registered, sorted (the package's own collector types are not listed).
    public var registeredNames: [String] { table.withLock { $0.filter { !$0.value.builtIn }.keys.sorted() } }

    /// The name a collector built from `entry` goes by in logs and statistics: its type, and
    /// `type:identity` when its factory reads an identity from the options. Never the options.
    public func collectorName(for entry: CollectorConfig) -> String {
        let identity = table.withLock { $0[entry.type]?.identity }
        guard let identity, let value = identity(entry.options), !value.isEmpty else { return entry.type }
        return "\(entry.type):\(value)"
    }

    /// Builds the collector a configuration entry names.
    public func makeCollector(_ entry: CollectorConfig, metrics: MetricsConfig) throws(MetricsConfigError) -> any MetricsCollector {
        let registration = table.withLock { $0[entry.type] }
        guard let registration else {
            switch entry {
            case .file, .remote:
                throw .collectorNotAvailable(kind: entry.type, reason: "no factory is registered under \"\(entry.type)\"")
            case .custom(let name, _) where ["remote", "statsd", "prometheus"].contains(name):
                throw .collectorNotAvailable(
                    kind: name, reason: "no factory is registered under \"\(name)\" (import MMMMetricsRemote and call RemoteCollectors.install(into:))")
            case .memory, .custom:
                throw .unknownCollector(name: entry.type, registered: registeredNames)
            }
        }
        do {
            return try registration.factory(entry.options, metrics)
        } catch let error as MetricsConfigError {
            throw error
        } catch {
            throw .pluginFailed(name: collectorName(for: entry), reason: "\(error)")
        }
    }
}
