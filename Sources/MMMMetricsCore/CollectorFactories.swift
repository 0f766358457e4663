import Synchronization

/// Turns ``CollectorConfig`` entries into collectors: the plugin system.
///
/// Plugins register a factory under a name at start-up; `CollectorConfig.custom(name:config:)`
/// resolves through it. The file and remote kinds are resolved by factories that the modules
/// providing them install (``registerFile(_:)``, ``registerRemote(_:)``); until one is installed
/// those kinds fail with ``MetricsConfigError/collectorNotAvailable(kind:reason:)``.
public final class CollectorFactories: Sendable {
    /// Builds a plugin collector from its JSON configuration and the metrics configuration.
    public typealias Factory = @Sendable (_ config: JSONValue, _ metrics: MetricsConfig) throws -> any MetricsCollector
    /// Builds a file collector for a log root path.
    public typealias FileFactory = @Sendable (_ path: String, _ metrics: MetricsConfig) throws -> any MetricsCollector
    /// Builds a remote collector for an endpoint and API key.
    public typealias RemoteFactory = @Sendable (_ endpoint: String, _ apiKey: String, _ metrics: MetricsConfig) throws -> any MetricsCollector

    private struct State {
        var plugins: [String: Factory] = [:]
        var file: FileFactory?
        var remote: RemoteFactory?
    }

    private let state = Mutex(State())

    /// A set of factories with no plugins.
    public init() {}

    /// Registers (or replaces) a plugin factory under `name`.
    public func register(_ name: String, factory: @escaping Factory) {
        state.withLock { $0.plugins[name] = factory }
    }

    /// Installs the factory behind `CollectorConfig.file(path:)`.
    public func registerFile(_ factory: @escaping FileFactory) {
        state.withLock { $0.file = factory }
    }

    /// Installs the factory behind `CollectorConfig.remote(endpoint:apiKey:)`.
    public func registerRemote(_ factory: @escaping RemoteFactory) {
        state.withLock { $0.remote = factory }
    }

    /// The registered plugin names, sorted.
    public var registeredNames: [String] { state.withLock { $0.plugins.keys.sorted() } }

    /// Builds the collector a configuration entry names.
    public func makeCollector(_ entry: CollectorConfig, metrics: MetricsConfig) throws(MetricsConfigError) -> any MetricsCollector {
        let current = state.withLock { ($0.plugins, $0.file, $0.remote) }
        do {
            switch entry {
            case .memory:
                return MemoryMetricsCollector(capacity: metrics.bufferSize)
            case .file(let path):
                guard let file = current.1 else {
                    throw MetricsConfigError.collectorNotAvailable(
                        kind: "file", reason: "no file collector is installed (import MMMMetricsLog and install it) for path \(path)")
                }
                return try file(path, metrics)
            case .remote(let endpoint, let apiKey):
                guard let remote = current.2 else {
                    throw MetricsConfigError.collectorNotAvailable(
                        kind: "remote", reason: "no remote collector is installed for endpoint \(endpoint)")
                }
                return try remote(endpoint, apiKey, metrics)
            case .custom(let name, let config):
                guard let factory = current.0[name] else {
                    throw MetricsConfigError.unknownCollector(name: name, registered: current.0.keys.sorted())
                }
                do { return try factory(config, metrics) } catch let error as MetricsConfigError {
                    throw error
                } catch {
                    throw MetricsConfigError.pluginFailed(name: name, reason: "\(error)")
                }
            }
        } catch let error as MetricsConfigError {
            throw error
        } catch {
            throw MetricsConfigError.pluginFailed(name: "\(entry)", reason: "\(error)")
        }
    }
}
