// The mapping from the `[metrics]` table of `.mmm/config.toml` (already parsed into JSON values)
// and from `MMM_METRICS*` environment variables onto `MetricsConfig`. Every key is documented in
// docs/CONFIGURATION.md; errors name the key as the user wrote it.

extension MetricsConfig {
    /// The keys the `[metrics]` table accepts.
    package static let tableKeys: Set<String> = [
        "enabled", "buffer_size", "flush_interval", "flush_timeout", "sampling_rate", "sampling_seed",
        "sampling_overrides", "allow", "deny", "pipeline", "collectors",
    ]

    /// Applies the `[metrics]` table over `self`. `prefix` is how the table is named in errors.
    package func applying(table: [String: JSONValue], prefix: String = "metrics") throws(MetricsConfigError) -> MetricsConfig {
        var config = self
        for key in table.keys.sorted() {
            let value = table[key]!
            let path = "\(prefix).\(key)"
            switch key {
            case "enabled": config.enabled = try Self.bool(value, path)
            case "buffer_size": config.bufferSize = try Self.positiveInt(value, path)
            case "flush_interval": config.flushInterval = try Self.duration(value, path)
            case "flush_timeout": config.flushTimeout = try Self.duration(value, path)
            case "sampling_rate": config.samplingRate = try Self.rate(value, path)
            case "sampling_seed": config.samplingSeed = try Self.seed(value, path)
            case "sampling_overrides":
                guard case .object(let rules) = value else { throw Self.invalid(path, value, "a table of name glob = rate") }
                config.samplingOverrides = try rules.keys.sorted(by: Self.moreSpecific).map { glob throws(MetricsConfigError) in
                    SamplingRule(glob, rate: try Self.rate(rules[glob]!, "\(path).\(glob)"))
                }
            case "allow": config.allow = try Self.strings(value, path)
            case "deny": config.deny = try Self.strings(value, path)
            case "pipeline": config.pipeline = try Self.pipeline(value, path)
            case "collectors": config.collectors = try Self.collectors(value, path)
            default: throw .unknownKey(path)
            }
        }
        try config.validate()
        return config
    }

    /// Applies `MMM_METRICS*` environment variables over `self` (see docs/CONFIGURATION.md).
    /// Variables that the configuration does not know are ignored, except misspelt `MMM_METRICS_*` ones.
    package func applying(environment: [String: String]) throws(MetricsConfigError) -> MetricsConfig {
        var config = self
        for (name, raw) in environment.sorted(by: { $0.key < $1.key }) where name.hasPrefix("MMM_METRICS") {
            let text = JSONValue.string(raw)
            switch name {
            case "MMM_METRICS":
                switch raw.lowercased() {
                case "on", "true", "1", "yes": config.enabled = true
                case "off", "false", "0", "no": config.enabled = false
                default: throw .invalidValue(key: name, value: raw, expected: "on or off")
                }
            case "MMM_METRICS_SAMPLING":
                guard let rate = Double(raw) else { throw .invalidValue(key: name, value: raw, expected: "a number in [0, 1]") }
                config.samplingRate = try Self.rate(.double(rate), name)
            case "MMM_METRICS_SAMPLING_SEED":
                guard let seed = UInt64(raw) else { throw .invalidValue(key: name, value: raw, expected: "a non-negative integer") }
                config.samplingSeed = seed
            case "MMM_METRICS_BUFFER_SIZE":
                guard let size = Int64(raw) else { throw .invalidValue(key: name, value: raw, expected: "a positive integer") }
                config.bufferSize = try Self.positiveInt(.integer(size), name)
            case "MMM_METRICS_FLUSH_INTERVAL": config.flushInterval = try Self.duration(text, name)
            case "MMM_METRICS_FLUSH_TIMEOUT": config.flushTimeout = try Self.duration(text, name)
            case "MMM_METRICS_ALLOW": config.allow = Self.commaList(raw)
            case "MMM_METRICS_DENY": config.deny = Self.commaList(raw)
            case "MMM_METRICS_DIR": break  // the log root, read by the log and the analyzer
            case "MMM_METRICS_SESSION": break  // the session id, read by the file collector
            case "MMM_METRICS_API_KEY": break  // the key `mmm-analyze push` sends, read there only
            default: throw .unknownKey(name)
            }
        }
        try config.validate()
        return config
    }

    // MARK: Value conversions

    private static func invalid(_ key: String, _ value: JSONValue, _ expected: String) -> MetricsConfigError {
        .invalidValue(key: key, value: render(value), expected: expected)
    }

    static func render(_ value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool(let flag): "\(flag)"
        case .integer(let number): "\(number)"
        case .double(let number): "\(number)"
        case .string(let text): "\"\(text)\""
        case .array(let items): "[" + items.map(render).joined(separator: ", ") + "]"
        case .object(let members): "{" + members.keys.sorted().map { "\($0) = \(render(members[$0]!))" }.joined(separator: ", ") + "}"
        }
    }

    private static func bool(_ value: JSONValue, _ key: String) throws(MetricsConfigError) -> Bool {
        guard case .bool(let flag) = value else { throw invalid(key, value, "a boolean") }
        return flag
    }

    private static func positiveInt(_ value: JSONValue, _ key: String) throws(MetricsConfigError) -> Int {
        guard case .integer(let number) = value, number > 0, let int = Int(exactly: number) else {
            throw invalid(key, value, "a positive integer")
        }
        return int
    }

    private static func seed(_ value: JSONValue, _ key: String) throws(MetricsConfigError) -> UInt64 {
        guard case .integer(let number) = value, number >= 0 else { throw invalid(key, value, "a non-negative integer") }
        return UInt64(number)
    }

    private static func rate(_ value: JSONValue, _ key: String) throws(MetricsConfigError) -> Double {
        guard let rate = value.doubleValue, rate >= 0, rate <= 1 else { throw invalid(key, value, "a number in [0, 1]") }
        return rate
    }

    private static func strings(_ value: JSONValue, _ key: String) throws(MetricsConfigError) -> [String] {
        if case .string(let single) = value { return [single] }
        guard case .array(let items) = value else { throw invalid(key, value, "an array of strings") }
        var result: [String] = []
        for (index, item) in items.enumerated() {
            guard case .string(let text) = item else { throw invalid("\(key)[\(index)]", item, "a string") }
            result.append(text)
        }
        return result
    }

    private static func commaList(_ raw: String) -> [String] {
        raw.split(separator: ",").map { String($0.trimmingWhitespace) }.filter { !$0.isEmpty }
    }

    /// Parses a duration: a number of seconds, or a string such as `250ms`, `5s`, `2m`, `1h`, `500us`,
    /// `100ns`, `2d`, `1w`. `nil` for anything else, for negative durations and for durations beyond
    /// ``Duration/maximumNanoseconds`` (about 292 years).
    package static func parseDuration(_ text: String) -> Duration? {
        let trimmed = String(text.trimmingWhitespace)
        for (suffix, scale) in Duration.unitSeconds where trimmed.hasSuffix(suffix) {
            let number = trimmed.dropLast(suffix.count)
            // "ms" also ends in "s", "ns" too: only accept when the rest is a plain number.
            if let amount = Double(number), amount >= 0 { return Duration.seconds(checked: amount * scale) }
        }
        if let seconds = Double(trimmed), seconds >= 0 { return Duration.seconds(checked: seconds) }
        return nil
    }

    private static func duration(_ value: JSONValue, _ key: String) throws(MetricsConfigError) -> Duration {
        let expected = "a positive duration of at least 1ns (seconds, or a string like \"250ms\", \"5s\", \"2m\")"
        switch value {
        case .integer, .double:
            guard let seconds = value.doubleValue, seconds >= 1e-9, let duration = Duration.seconds(checked: seconds) else {
                throw invalid(key, value, expected)
            }
            return duration
        case .string(let text):
            guard let duration = parseDuration(text), duration >= .nanoseconds(1) else { throw invalid(key, value, expected) }
            return duration
        default:
            throw invalid(key, value, expected)
        }
    }

    /// Exact names first, then globs with more literal characters first, then by text.
    private static func moreSpecific(_ lhs: String, _ rhs: String) -> Bool {
        let lhsLiteral = !lhs.contains("*")
        let rhsLiteral = !rhs.contains("*")
        if lhsLiteral != rhsLiteral { return lhsLiteral }
        let lhsCount = lhs.filter { $0 != "*" }.count
        let rhsCount = rhs.filter { $0 != "*" }.count
        if lhsCount != rhsCount { return lhsCount > rhsCount }
        return lhs < rhs
    }

    private static func pipeline(_ value: JSONValue, _ key: String) throws(MetricsConfigError) -> [any MetricsPipelineStage] {
        guard case .array(let items) = value else { throw invalid(key, value, "an array of tables ([[metrics.pipeline]])") }
        var stages: [any MetricsPipelineStage] = []
        for (index, item) in items.enumerated() {
            let path = "\(key)[\(index)]"
            guard case .object(let table) = item else { throw invalid(path, item, "a table") }
            let actions = table.keys.filter { $0 != "match" }.sorted()
            guard actions.count == 1, let action = actions.first else {
                throw invalid(path, item, "exactly one of drop, rename, add_tags, remove_tags (and an optional match)")
            }
            let match = try table["match"].map { match throws(MetricsConfigError) in try strings(match, "\(path).match") } ?? ["*"]
            let argument = table[action]!
            switch action {
            case "drop":
                if table["match"] != nil { throw .unknownKey("\(path).match") }
                stages.append(DropStage(try strings(argument, "\(path).drop")))
            case "rename":
                guard case .object(let names) = argument, case .string(let from)? = names["from"], case .string(let to)? = names["to"],
                    names.count == 2
                else { throw invalid("\(path).rename", argument, "a table { from = \"name\", to = \"name\" }") }
                if table["match"] != nil { throw .unknownKey("\(path).match") }
                stages.append(RenameStage(from: from, to: to))
            case "add_tags":
                guard case .object(let members) = argument else { throw invalid("\(path).add_tags", argument, "a table of strings") }
                var tags = Tags()
                for (tagKey, tagValue) in members {
                    guard case .string(let text) = tagValue else { throw invalid("\(path).add_tags.\(tagKey)", tagValue, "a string") }
                    tags[tagKey] = text
                }
                stages.append(AddTagsStage(tags, matching: match))
            case "remove_tags":
                stages.append(RemoveTagsStage(try strings(argument, "\(path).remove_tags"), matching: match))
            default:
                throw .unknownKey("\(path).\(action)")
            }
        }
        return stages
    }

    private static func collectors(_ value: JSONValue, _ key: String) throws(MetricsConfigError) -> [CollectorConfig] {
        guard case .array(let items) = value else { throw invalid(key, value, "an array of tables ([[metrics.collectors]])") }
        var result: [CollectorConfig] = []
        for (index, item) in items.enumerated() {
            let path = "\(key)[\(index)]"
            guard case .object(let table) = item else { throw invalid(path, item, "a table") }
            guard case .string(let type)? = table["type"] else {
                throw invalid("\(path).type", table["type"] ?? .null, "one of memory, file, remote, statsd, prometheus, custom")
            }
            func string(_ name: String) throws(MetricsConfigError) -> String {
                guard case .string(let text)? = table[name] else { throw invalid("\(path).\(name)", table[name] ?? .null, "a string") }
                return text
            }
            func only(_ allowed: Set<String>) throws(MetricsConfigError) {
                if let extra = table.keys.sorted().first(where: { !allowed.contains($0) }) { throw .unknownKey("\(path).\(extra)") }
            }
            switch type {
            case "memory":
                try only(["type"])
                result.append(.memory)
            case "file":
                try only(["type", "path"])
                result.append(.file(path: try string("path")))
            case "remote" where Set(table.keys) == ["type", "endpoint", "api_key"]:
                result.append(.remote(endpoint: try string("endpoint"), apiKey: try string("api_key")))
            case "remote", "statsd", "prometheus":
                // Their factories (MMMMetricsRemote) check the other keys and name the one that is wrong.
                result.append(.custom(name: type, config: .object(table.filter { $0.key != "type" })))
            case "custom":
                try only(["type", "name", "config"])
                result.append(.custom(name: try string("name"), config: table["config"] ?? .object([:])))
            default:
                throw invalid("\(path).type", .string(type), "one of memory, file, remote, statsd, prometheus, custom")
            }
        }
        return result
    }
}
