import Foundation
import PluginAPI

/// The JSON messages transports forward to clients, in the original Orch
/// contract: an object with "type", the fields of that type, and "seq".
public enum WireMessage {
    /// Inserts `"seq":N` as the first member of a JSON object.
    static func stamp(_ json: Data, seq: UInt64) -> Data {
        var stamped = Data("{\"seq\":\(seq)".utf8)
        guard let open = json.firstIndex(of: UInt8(ascii: "{")) else {
            stamped.append(UInt8(ascii: "}"))
            return stamped
        }
        let rest = json[json.index(after: open)...]
        if let first = rest.first(where: { !($0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09) }), first != UInt8(ascii: "}") {
            stamped.append(UInt8(ascii: ","))
        }
        stamped.append(contentsOf: rest)
        return stamped
    }

    /// Encodes a message of the given type; keys are sorted for stable output.
    public static func make(type: String, _ fields: [String: JSONValue]) -> Data {
        var object = fields
        object["type"] = .string(type)
        return (try? JSON.encode(object)) ?? Data("{\"type\":\"\(type)\"}".utf8)
    }
}
