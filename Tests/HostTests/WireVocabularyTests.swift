import Foundation
import OrchTesting
import OrchHost
import Testing

/// The wire vocabulary has one list (`WireMessageType`): every type in it has a
/// schema in docs/schemas/server-to-client, every schema a type, and the
/// console's `frontend/src/types.ts` names exactly the same types.
@Suite struct WireVocabularyTests {
    static let vocabulary = Set(WireMessageType.allCases.map(\.rawValue))

    @Test func everyMessageTypeHasASchemaAndEverySchemaAType() throws {
        let directory = "\(Paths.repository)/docs/schemas/server-to-client"
        let schemas = Set(try FileManager.default.contentsOfDirectory(atPath: directory)
            .filter { $0.hasSuffix(".json") }.map { String($0.dropLast(".json".count)) })
        #expect(Self.vocabulary.subtracting(schemas).sorted() == [], "message types without a schema in \(directory)")
        #expect(schemas.subtracting(Self.vocabulary).sorted() == [], "schemas of no message type in WireMessageType")
    }

    @Test func theConsoleNamesTheSameTypes() throws {
        let source = try String(contentsOfFile: "\(Paths.repository)/frontend/src/types.ts", encoding: .utf8)
        let named = Set(source.matches(of: /\btype: '([a-z_]+)';/).map { String($0.output.1) })
        #expect(Self.vocabulary.subtracting(named).sorted() == [], "message types frontend/src/types.ts does not declare")
        #expect(named.subtracting(Self.vocabulary).sorted() == [], "types frontend/src/types.ts declares that the host does not have")
    }

    @Test func everyBuilderWritesItsOwnType() {
        let built: [(WireMessageType, Data)] = [
            (.chatStream, WireMessages.chatStream(orchestratorID: "o", messageID: "m", chunk: "a\"b", isComplete: false)),
            (.chatTyping, WireMessages.typing(orchestratorID: "o", isTyping: true)),
            (.turnQueued, WireMessages.turnQueued(orchestratorID: "o", turnID: "t", position: 1)),
            (.turnComplete, WireMessages.turnComplete(orchestratorID: "o", turnID: "t", status: "success")),
            (.backendRetry, WireMessages.backendRetry(orchestratorID: "o", turnID: "t", detail: .object([:]))),
        ]
        for (type, json) in built {
            let object = try? JSONSerialization.jsonObject(with: json) as? [String: Any]
            #expect(object?["type"] as? String == type.rawValue, "\(String(decoding: json, as: UTF8.self))")
        }
    }
}
