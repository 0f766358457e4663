import Foundation
import MMMMetrics
import Testing

@Suite("MetricsConfig loading")
struct ConfigTests {
    static let fullTOML = #"""
        [project]
        name = "unrelated"

        [metrics]
        enabled = true
        buffer_size = 2048
        flush_interval = "250ms"
        flush_timeout = 3
        sampling_rate = 0.5
        sampling_seed = 42
        allow = ["command.*", "git.*", "quality.*"]
        deny = "command.secret"

        [metrics.sampling_overrides]
        "command.duration" = 1.0
        "git.*" = 0.1
        "git.lines*" = 0.2

        [[metrics.pipeline]]
        drop = ["debug.*"]

        [[metrics.pipeline]]
        rename = { from = "old", to = "new" }

        [[metrics.pipeline]]
        add_tags = { host = "ci" }
        match = "command.*"

        [[metrics.pipeline]]
        remove_tags = ["pid"]

        [[metrics.collectors]]
        type = "memory"

        [[metrics.collectors]]
        type = "file"
        path = ".mmm/metrics"

        [[metrics.collectors]]
        type = "remote"
        endpoint = "http://127.0.0.1:9091"
        api_key = "secret"

        [[metrics.collectors]]
        type = "custom"
        name = "statsd"
        config = { port = 8125 }
        """#

    @Test("every documented key of [metrics] is read")
    func fullTable() throws {
        let config = try MetricsConfig(toml: Self.fullTOML)
        #expect(config.enabled)
        #expect(config.bufferSize == 2048)
        #expect(config.flushInterval == .milliseconds(250))
        #expect(config.flushTimeout == .seconds(3))
        #expect(config.samplingRate == 0.5)
        #expect(config.samplingSeed == 42)
        #expect(config.allow == ["command.*", "git.*", "quality.*"])
        #expect(config.deny == ["command.secret"])
        #expect(config.samplingOverrides == [SamplingRule("command.duration", rate: 1), SamplingRule("git.lines*", rate: 0.2), SamplingRule("git.*", rate: 0.1)])
        #expect(config.pipeline.count == 4)
        #expect(config.pipeline[0] is DropStage)
        #expect((config.pipeline[1] as? RenameStage)?.to == "new")
        #expect((config.pipeline[2] as? AddTagsStage)?.tags == ["host": "ci"])
        #expect((config.pipeline[3] as? RemoveTagsStage)?.keys == ["pid"])
        #expect(config.collectors == [
            .memory, .file(path: ".mmm/metrics"), .remote(endpoint: "http://127.0.0.1:9091", apiKey: "secret"),
            .custom(name: "statsd", config: ["port": 8125]),
        ])
    }

    @Test("a document without [metrics] gives the defaults")
    func noTable() throws {
        let config = try MetricsConfig(toml: "[other]\nx = 1\n")
        #expect(config.enabled)
        #expect(config.bufferSize == 10_000)
        #expect(config.samplingRate == 1)
    }

    @Test("bad values name the key, the value and the expected type", arguments: [
        ("sampling_rate = 1.5", "metrics.sampling_rate in f.toml", "1.5", "a number in [0, 1]"),
        ("sampling_rate = \"high\"", "metrics.sampling_rate in f.toml", "\"high\"", "a number in [0, 1]"),
        ("enabled = \"yes\"", "metrics.enabled in f.toml", "\"yes\"", "a boolean"),
        ("buffer_size = 0", "metrics.buffer_size in f.toml", "0", "a positive integer"),
        ("buffer_size = 1.5", "metrics.buffer_size in f.toml", "1.5", "a positive integer"),
        ("sampling_seed = -1", "metrics.sampling_seed in f.toml", "-1", "a non-negative integer"),
        ("allow = [1]", "metrics.allow[0] in f.toml", "1", "a string"),
        ("deny = 3", "metrics.deny in f.toml", "3", "an array of strings"),
        ("sampling_overrides = 2", "metrics.sampling_overrides in f.toml", "2", "a table of name glob = rate"),
        ("sampling_overrides = { x = 2 }", "metrics.sampling_overrides.x in f.toml", "2", "a number in [0, 1]"),
        ("pipeline = 1", "metrics.pipeline in f.toml", "1", "an array of tables ([[metrics.pipeline]])"),
        ("pipeline = [1]", "metrics.pipeline[0] in f.toml", "1", "a table"),
        ("collectors = 1", "metrics.collectors in f.toml", "1", "an array of tables ([[metrics.collectors]])"),
        ("collectors = [1]", "metrics.collectors[0] in f.toml", "1", "a table"),
        ("collectors = [{ type = \"disk\" }]", "metrics.collectors[0].type in f.toml", "\"disk\"", "one of memory, file, remote, statsd, prometheus, custom"),
        ("collectors = [{ path = \"x\" }]", "metrics.collectors[0].type in f.toml", "null", "one of memory, file, remote, statsd, prometheus, custom"),
        ("collectors = [{ type = \"file\" }]", "metrics.collectors[0].path in f.toml", "null", "a string"),
        ("pipeline = [{ rename = \"x\" }]", "metrics.pipeline[0].rename in f.toml", "\"x\"", "a table { from = \"name\", to = \"name\" }"),
        ("pipeline = [{ add_tags = { a = 1 } }]", "metrics.pipeline[0].add_tags.a in f.toml", "1", "a string"),
        ("pipeline = [{ add_tags = 1 }]", "metrics.pipeline[0].add_tags in f.toml", "1", "a table of strings"),
        ("flush_interval = \"soon\"", "metrics.flush_interval in f.toml", "\"soon\"", "a positive duration of at least 1ns (seconds, or a string like \"250ms\", \"5s\", \"2m\")"),
        ("flush_interval = -1", "metrics.flush_interval in f.toml", "-1", "a positive duration of at least 1ns (seconds, or a string like \"250ms\", \"5s\", \"2m\")"),
        ("flush_timeout = 1e-12", "metrics.flush_timeout in f.toml", "1e-12", "a positive duration of at least 1ns (seconds, or a string like \"250ms\", \"5s\", \"2m\")"),
        ("flush_timeout = true", "metrics.flush_timeout in f.toml", "true", "a positive duration of at least 1ns (seconds, or a string like \"250ms\", \"5s\", \"2m\")"),
    ])
    func badValues(line: String, key: String, value: String, expected: String) {
        #expect(throws: MetricsConfigError.invalidValue(key: key, value: value, expected: expected)) {
            try MetricsConfig(toml: "[metrics]\n\(line)\n", path: "f.toml")
        }
    }

    @Test("a NUL byte is refused, naming its line (the parser stopped there and the rest went unread)")
    func nulByte() {
        #expect(throws: MetricsConfigError.unreadableFile(path: "f.toml", reason: "a NUL byte at line 3 (byte offset 26); a TOML file holds text")) {
            try MetricsConfig(toml: "[metrics]\nbuffer_size = 5\n\u{0}\nenabeld = 7\n", path: "f.toml")
        }
    }

    @Test("unknown keys are errors that name them", arguments: [
        ("colour = 1", "metrics.colour in f.toml"),
        ("collectors = [{ type = \"memory\", size = 1 }]", "metrics.collectors[0].size in f.toml"),
        ("pipeline = [{ drop = \"x\", match = \"y\" }]", "metrics.pipeline[0].match in f.toml"),
        ("pipeline = [{ rename = { from = \"a\", to = \"b\" }, match = \"y\" }]", "metrics.pipeline[0].match in f.toml"),
        ("pipeline = [{ explode = 1 }]", "metrics.pipeline[0].explode in f.toml"),
    ])
    func unknownKeys(line: String, key: String) {
        #expect(throws: MetricsConfigError.unknownKey(key)) { try MetricsConfig(toml: "[metrics]\n\(line)\n", path: "f.toml") }
    }

    @Test("a pipeline stage needs exactly one action")
    func pipelineShape() {
        #expect(throws: MetricsConfigError.self) { try MetricsConfig(toml: "[metrics]\npipeline = [{ drop = \"a\", remove_tags = [\"b\"] }]\n") }
        #expect(throws: MetricsConfigError.self) { try MetricsConfig(toml: "[metrics]\npipeline = [{ match = \"a\" }]\n") }
    }

    @Test("TOML syntax errors name the file, line and column")
    func syntaxError() {
        do {
            _ = try MetricsConfig(toml: "[metrics]\nenabled = = true\n", path: "conf.toml")
            Issue.record("expected an error")
        } catch {
            guard case .unreadableFile(let path, let reason) = error else { Issue.record("\(error)"); return }
            #expect(path == "conf.toml")
            #expect(reason.contains("line 2"))
        }
        #expect(throws: MetricsConfigError.invalidValue(key: "metrics", value: "1", expected: "a table ([metrics])")) {
            try MetricsConfig(toml: "metrics = 1\n")
        }
    }

    @Test("environment variables override the file; bad ones name the variable")
    func environment() throws {
        let base = try MetricsConfig(toml: "[metrics]\nenabled = true\nsampling_rate = 1.0\n")
        let overridden = try base.applying(environment: [
            "MMM_METRICS": "off", "MMM_METRICS_SAMPLING": "0.1", "MMM_METRICS_SAMPLING_SEED": "9",
            "MMM_METRICS_BUFFER_SIZE": "64", "MMM_METRICS_FLUSH_INTERVAL": "2s", "MMM_METRICS_FLUSH_TIMEOUT": "1m",
            "MMM_METRICS_ALLOW": "a.*, b", "MMM_METRICS_DENY": "c", "MMM_METRICS_DIR": "/tmp/x", "PATH": "/bin",
        ])
        #expect(!overridden.enabled)
        #expect(overridden.samplingRate == 0.1)
        #expect(overridden.samplingSeed == 9)
        #expect(overridden.bufferSize == 64)
        #expect(overridden.flushInterval == .seconds(2))
        #expect(overridden.flushTimeout == .seconds(60))
        #expect(overridden.allow == ["a.*", "b"])
        #expect(overridden.deny == ["c"])
        for on in ["on", "true", "1", "YES"] { #expect(try MetricsConfig(enabled: false).applying(environment: ["MMM_METRICS": on]).enabled) }

        let bad: [(String, String, String)] = [
            ("MMM_METRICS", "maybe", "on or off"), ("MMM_METRICS_SAMPLING", "lots", "a number in [0, 1]"),
            ("MMM_METRICS_SAMPLING", "2", "a number in [0, 1]"), ("MMM_METRICS_SAMPLING_SEED", "-3", "a non-negative integer"),
            ("MMM_METRICS_BUFFER_SIZE", "big", "a positive integer"),
        ]
        for (name, value, expected) in bad {
            do {
                _ = try base.applying(environment: [name: value])
                Issue.record("\(name)=\(value) was accepted")
            } catch {
                guard case .invalidValue(let key, _, let wanted) = error else { Issue.record("\(error)"); continue }
                #expect(key == name)
                #expect(wanted == expected)
                #expect(error.description.contains(value))
            }
        }
        #expect(throws: MetricsConfigError.unknownKey("MMM_METRICS_SAMPLE")) { try base.applying(environment: ["MMM_METRICS_SAMPLE": "1"]) }
    }

    @Test("durations parse from seconds and unit suffixes")
    func durations() {
        #expect(MetricsConfig.parseDuration("1.5") == .milliseconds(1500))
        #expect(MetricsConfig.parseDuration("100ns") == .nanoseconds(100))
        #expect(MetricsConfig.parseDuration("20us") == .microseconds(20))
        #expect(MetricsConfig.parseDuration(" 5s ") == .seconds(5))
        #expect(MetricsConfig.parseDuration("2m") == .seconds(120))
        #expect(MetricsConfig.parseDuration("1h") == .seconds(3600))
        #expect(MetricsConfig.parseDuration("-1s") == nil)
        #expect(MetricsConfig.parseDuration("x") == nil)
    }

    @Test("load reads .mmm/config.toml under the project directory, then the environment")
    func loadFromProject() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mmm-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent(".mmm"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(try MetricsConfig.load(projectDirectory: directory.path, environment: [:]).bufferSize == 10_000)
        try "[metrics]\nbuffer_size = 77\n".write(to: directory.appendingPathComponent(".mmm/config.toml"), atomically: true, encoding: .utf8)
        let loaded = try MetricsConfig.load(projectDirectory: directory.path, environment: ["MMM_METRICS": "off"])
        #expect(loaded.bufferSize == 77)
        #expect(!loaded.enabled)
        try Data([0xFF, 0xFE]).write(to: directory.appendingPathComponent(".mmm/config.toml"))
        #expect(throws: MetricsConfigError.self) { try MetricsConfig.load(projectDirectory: directory.path, environment: [:]) }
    }

    @Test("validate rejects out-of-range values set in code")
    func validate() {
        #expect(throws: MetricsConfigError.self) { try MetricsConfig(samplingOverrides: [SamplingRule("x", rate: -1)]).validate() }
        #expect(throws: MetricsConfigError.self) { try MetricsConfig(bufferSize: 0).validate() }
        #expect(throws: MetricsConfigError.self) { try MetricsConfig(flushInterval: .zero).validate() }
        #expect(throws: MetricsConfigError.self) { try MetricsConfig(flushTimeout: .zero).validate() }
        #expect(throws: Never.self) { try MetricsConfig().validate() }
    }

    @Test("TOML dates and times become strings")
    func tomlDates() throws {
        #expect(throws: MetricsConfigError.self) { try MetricsConfig(toml: "[metrics]\nenabled = 1979-05-27T07:32:00Z\n") }
    }
}
