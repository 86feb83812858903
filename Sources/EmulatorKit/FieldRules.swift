/// Value rules of the optional upload fields, as the cloud reference describes them.
enum FieldRules {
    static let pageSizeNames: Set<String> = ["Original", "A3", "A4", "A5", "A6", "Letter", "Legal", "Ledger", "Tabloid"]

    static func validate(name: String, value: String) throws {
        switch name {
        case "providerid":
            try require(isNumber(value), name, value, "a non-negative integer")
        case "copies":
            try require(isNumber(value) && Int(value)! >= 1, name, value, "an integer of at least 1")
        case "grayscale":
            try require(value == "true" || value == "false", name, value, "true or false")
        case "duplex":
            try require(["0", "1", "2"].contains(value), name, value, "0 (simplex), 1 (long edge) or 2 (short edge)")
        case "outputpagesize":
            try require(
                pageSizeNames.contains(value) || isCustomPageSize(value), name, value,
                "one of \(pageSizeNames.sorted().joined(separator: ", ")) or <width>x<height> in points, e.g. 595x842")
        case "pageorientation":
            try require(value == "0" || value == "1", name, value, "0 (portrait) or 1 (landscape)")
        case "scale":
            try require(isNumber(value) && (1...100).contains(Int(value)!), name, value, "a percentage from 1 to 100")
        default:
            break  // required text fields: any non-empty UTF-8, checked when the body ends
        }
    }

    private static func require(_ condition: Bool, _ name: String, _ value: String, _ expected: String) throws {
        guard condition else {
            throw Rejection.badRequest("field \(name) has invalid value \"\(value.prefix(100))\"; expected \(expected)")
        }
    }

    /// ASCII digits only (no sign, no spaces) that fit an Int.
    static func isNumber(_ value: String) -> Bool {
        !value.isEmpty && value.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") } && Int(value) != nil
    }

    private static func isCustomPageSize(_ value: String) -> Bool {
        let sides = value.split(separator: "x", omittingEmptySubsequences: false)
        return sides.count == 2 && sides.allSatisfy { isNumber(String($0)) && Int($0)! > 0 }
    }
}
