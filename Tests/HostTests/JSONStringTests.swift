import Foundation
import PluginAPI
import Testing

/// The one JSON string escaper (`JSONString.appendQuoted`), which the per-token
/// wire messages are rendered with.
@Suite struct JSONStringTests {
    func quoted(_ text: String) -> String {
        var json = ""
        JSONString.appendQuoted(text, to: &json)
        return json
    }

    @Test func escapesWhatJSONRequiresAndTheJavaScriptLineSeparators() {
        #expect(quoted("plain") == #""plain""#)
        #expect(quoted("") == #""""#)
        #expect(quoted("q\" b\\ n\n r\r t\t bell\u{07} nul\u{00} us\u{1F}") == #""q\" b\\ n\n r\r t\t bell\u0007 nul\u0000 us\u001f""#)
        #expect(quoted("a\u{2028}b\u{2029}c") == #""a\u2028b\u2029c""#)
        // Everything else stays as it is, "/" and non-ASCII included.
        #expect(quoted("/ é ✓ 😀 \u{2027} \u{202A} </script>") == "\"/ é ✓ 😀 \u{2027} \u{202A} </script>\"")
    }

    @Test func whatItWritesDecodesToTheSameString() throws {
        let awkward = "quote \" backslash \\ newline \n tab \t bell \u{07} nul \u{00} héllo ✓ 😀 \u{2028}\u{2029} ends with e2: \u{2028}"
        for text in [awkward, "\u{2029}", "\\", "é\u{00}"] {
            #expect(try JSONDecoder().decode(String.self, from: Data(quoted(text).utf8)) == text)
        }
    }
}
