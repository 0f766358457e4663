public import MMMMetricsCore
import MMMMetricsLogFormat

/// RFC 3339 timestamps with nanosecond precision, without Foundation (proleptic Gregorian, UTC).
public enum RFC3339 {
    /// `2026-11-28T10:00:00.123456789Z`: always nine fractional digits, always `Z`.
    public static func format(_ timestamp: MetricTimestamp) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(30)
        append(timestamp, to: &output)
        return String(decoding: output, as: UTF8.self)
    }

    /// Appends `format(timestamp)`'s bytes.
    package static func append(_ timestamp: MetricTimestamp, to output: inout [UInt8]) {
        let nanos = timestamp.nanosecondsSinceEpoch
        var seconds = nanos / 1_000_000_000
        var fraction = nanos % 1_000_000_000
        if fraction < 0 {
            fraction += 1_000_000_000
            seconds -= 1
        }
        append(seconds: seconds, fraction: fraction, to: &output)
    }

    /// A whole second since the epoch, `2026-11-28T10:00:00Z`: also one before the earliest
    /// timestamp a log holds (the label of a time bucket that starts before it).
    package static func format(secondsSinceEpoch seconds: Int64) -> String {
        var output: [UInt8] = []
        append(seconds: seconds, fraction: 0, to: &output)
        return String(decoding: output.dropLast(11), as: UTF8.self) + "Z"  // no ".000000000"
    }

    private static func append(seconds: Int64, fraction: Int64, to output: inout [UInt8]) {
        var days = seconds / 86_400
        var secondOfDay = seconds % 86_400
        if secondOfDay < 0 {
            secondOfDay += 86_400
            days -= 1
        }
        let (year, month, day) = civil(fromDays: days)
        func digits(_ value: Int64, _ count: Int) {
            var buffer = [UInt8](repeating: 0x30, count: count)
            var rest = value
            for index in stride(from: count - 1, through: 0, by: -1) {
                buffer[index] = 0x30 + UInt8(rest % 10)
                rest /= 10
            }
            output.append(contentsOf: buffer)
        }
        if year < 0 {
            output.append(UInt8(ascii: "-"))
            digits(-year, 4)
        } else {
            digits(year, year > 9999 ? String(year).count : 4)
        }
        output.append(UInt8(ascii: "-"))
        digits(month, 2)
        output.append(UInt8(ascii: "-"))
        digits(day, 2)
        output.append(UInt8(ascii: "T"))
        digits(secondOfDay / 3600, 2)
        output.append(UInt8(ascii: ":"))
        digits(secondOfDay / 60 % 60, 2)
        output.append(UInt8(ascii: ":"))
        digits(secondOfDay % 60, 2)
        output.append(UInt8(ascii: "."))
        digits(fraction, 9)
        output.append(UInt8(ascii: "Z"))
    }

    /// The instants the log can store: nanoseconds since the epoch in `Int64`.
    public static let supportedRange = "1677-09-21T00:12:43.145224192Z to 2262-04-11T23:47:16.854775807Z"

    /// Why a text is not a timestamp the log can store.
    public enum Failure: Error, Sendable, Hashable {
        /// Not of the form `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`, or not a real date and time.
        case syntax
        /// A valid timestamp outside ``supportedRange``.
        case outOfRange
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`, with up to nine fractional digits; `nil`
    /// when the text is not such a timestamp or is outside ``supportedRange``.
    public static func parse(_ text: String) -> MetricTimestamp? {
        try? parseChecked(text).get()
    }

    /// Like ``parse(_:)``, saying why a text is refused.
    public static func parseChecked(_ text: String) -> Result<MetricTimestamp, Failure> {
        var text = text
        return text.withUTF8 { parseChecked(bytes: UnsafeRawBufferPointer($0)) }
    }

    /// Like ``parseChecked(_:)``, on the text's UTF-8 bytes.
    package static func parseChecked(bytes: UnsafeRawBufferPointer) -> Result<MetricTimestamp, Failure> {
        var position = 0
        func number(_ count: Int) -> Int64? {
            guard position + count <= bytes.count else { return nil }
            var value: Int64 = 0
            for _ in 0..<count {
                let byte = bytes[position]
                guard byte >= 0x30, byte <= 0x39 else { return nil }
                value = value * 10 + Int64(byte - 0x30)
                position += 1
            }
            return value
        }
        // One byte of `first`, `second` or `third` (repeat one when fewer are allowed): a byte
        // comparison, where `String.utf8.contains` was a generic call per character.
        func expect(_ first: UInt8, _ second: UInt8? = nil, _ third: UInt8? = nil) -> Bool {
            guard position < bytes.count else { return false }
            let byte = bytes[position]
            guard byte == first || byte == second || byte == third else { return false }
            position += 1
            return true
        }
        let dash = UInt8(ascii: "-"), colon = UInt8(ascii: ":")
        // Years beyond 0000–9999 (ISO 8601 expanded form, as `format` writes them): a sign or more digits.
        var yearSign: Int64 = 1
        if position < bytes.count, bytes[position] == UInt8(ascii: "-") || bytes[position] == UInt8(ascii: "+") {
            yearSign = bytes[position] == UInt8(ascii: "-") ? -1 : 1
            position += 1
        }
        var yearDigits = 0
        while position + yearDigits < bytes.count, bytes[position + yearDigits] >= 0x30, bytes[position + yearDigits] <= 0x39 { yearDigits += 1 }
        guard yearDigits >= 4, yearDigits <= 12 else { return .failure(.syntax) }
        guard let unsignedYear = number(yearDigits), expect(dash), let month = number(2), expect(dash), let day = number(2),
            expect(UInt8(ascii: "T"), UInt8(ascii: "t"), UInt8(ascii: " ")),
            let hour = number(2), expect(colon), let minute = number(2), expect(colon), let second = number(2)
        else { return .failure(.syntax) }
        let year = yearSign * unsignedYear
        guard (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day), hour < 24, minute < 60, second < 61
        else { return .failure(.syntax) }
        var fraction: Int64 = 0
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
            position += 1
            var count = 0
            while position < bytes.count, bytes[position] >= 0x30, bytes[position] <= 0x39 {
                guard count < 9 else { return .failure(.syntax) }
                fraction = fraction * 10 + Int64(bytes[position] - 0x30)
                position += 1
                count += 1
            }
            guard count > 0 else { return .failure(.syntax) }
            for _ in count..<9 { fraction *= 10 }
        }
        var offsetSeconds: Int64 = 0
        if expect(UInt8(ascii: "Z"), UInt8(ascii: "z")) {
        } else if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") {
            let sign: Int64 = bytes[position] == UInt8(ascii: "-") ? -1 : 1
            position += 1
            guard let offsetHours = number(2), expect(colon), let offsetMinutes = number(2), offsetHours < 24, offsetMinutes < 60 else {
                return .failure(.syntax)
            }
            offsetSeconds = sign * (offsetHours * 3600 + offsetMinutes * 60)
        } else {
            return .failure(.syntax)
        }
        guard position == bytes.count else { return .failure(.syntax) }
        // Outside these years no instant fits in Int64 nanoseconds; inside them the arithmetic below
        // cannot overflow until the final scaling, which is checked.
        guard (1677...2262).contains(year) else { return .failure(.outOfRange) }
        let days = self.days(fromCivil: year, month, day)
        let daySeconds = days * 86_400
        let seconds = daySeconds + hour * 3600 + minute * 60 + min(second, 59) - offsetSeconds
        // Near Int64.min, seconds × 10⁹ overflows although the sum with the fraction does not: borrow a second.
        let (wholeSeconds, fractionPart) = seconds < 0 && fraction > 0 ? (seconds + 1, fraction - 1_000_000_000) : (seconds, fraction)
        let (scaled, overflow) = wholeSeconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else { return .failure(.outOfRange) }
        let (total, overflow2) = scaled.addingReportingOverflow(fractionPart)
        guard !overflow2 else { return .failure(.outOfRange) }
        return .success(MetricTimestamp(nanosecondsSinceEpoch: total))
    }

    static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    // Howard Hinnant's days_from_civil and civil_from_days.
    static func days(fromCivil year: Int64, _ month: Int64, _ day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civil(fromDays days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp + (mp < 10 ? 3 : -9)
        return (m <= 2 ? y + 1 : y, m, d)
    }
}
