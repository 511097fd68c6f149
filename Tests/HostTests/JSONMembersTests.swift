import Foundation
import PluginAPI
import Testing

/// The scan that lets a history reply pass through host and transport as bytes:
/// members found without decoding, one member put in its sorted place, and
/// anything that is not one JSON object refused.
@Suite struct JSONMembersTests {
    @Test func findsTheTopLevelMembersWithoutDecodingTheirValues() throws {
        let json = #" { "a" : [1, {"b": "}]\"," }], "c":"x,y" , "d":{"e":[]},"f":true, "g":-1.5e3 } "#
        let members = try #require(JSONMembers(Data(json.utf8)))
        #expect(members.members.map(\.key) == ["a", "c", "d", "f", "g"])
        #expect(members.value("a").map { String(decoding: $0, as: UTF8.self) } == #"[1, {"b": "}]\"," }]"#)
        #expect(members.value("c").map { String(decoding: $0, as: UTF8.self) } == #""x,y""#)
        #expect(members.value("d").map { String(decoding: $0, as: UTF8.self) } == #"{"e":[]}"#)
        #expect(members.value("g").map { String(decoding: $0, as: UTF8.self) } == "-1.5e3")
        #expect(members.value("missing") == nil)
        #expect(JSONMembers(Data("{}".utf8))?.members.isEmpty == true)
    }

    @Test func insertsAMemberWhereJSONEncodeWouldHavePutIt() throws {
        func inserted(_ json: String, _ key: String, _ value: String) -> String? {
            JSONMembers(Data(json.utf8)).map { String(decoding: $0.inserting(key, value), as: UTF8.self) }
        }
        #expect(inserted(#"{"a":1,"z":2}"#, "m", "true") == #"{"a":1,"m":true,"z":2}"#)
        #expect(inserted(#"{"b":1}"#, "a", #""x""#) == #"{"a":"x","b":1}"#)
        #expect(inserted(#"{"a":1}"#, "b", "null") == #"{"a":1,"b":null}"#)
        #expect(inserted("{}", "a", "1") == #"{"a":1}"#)
        let sorted: JSONValue = ["has_more": false, "messages": [["id": "1", "metadata": ["z": 1, "a": [1, 2]]]], "turn_count": 3]
        let members = try #require(JSONMembers(try JSON.encode(sorted)))
        var expected = sorted
        if case .object(var object) = expected { object["status"] = "success"; expected = .object(object) }
        #expect(Data(members.inserting("status", #""success""#)) == (try JSON.encode(expected)))
    }

    @Test func refusesWhatIsNotOneJSONObject() {
        for bad in ["", "[]", "\"text\"", "{", #"{"a":1"#, #"{"a" 1}"#, #"{"a":}"#, #"{"a":1,}"#, #"{a:1}"#, #"{"a":"unterminated}"#, #"{"a":1} {"b":2}"#, "{} x"] {
            #expect(JSONMembers(Data(bad.utf8)) == nil, "accepted \(bad)")
        }
    }
}
