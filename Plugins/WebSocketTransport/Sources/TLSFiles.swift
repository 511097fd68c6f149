import NIOSSL
import PluginAPI

/// `tls_cert` and `tls_key`: PEM files that make the server speak HTTPS and WSS. Off
/// loopback without them, the token (and the login cookie) would cross the network in
/// the clear. Read once, at create time, so a missing or mismatched file stops startup.
struct TLSFiles: Sendable {
    let certificate: String
    let key: String

    /// Both or neither: one alone is a mistake, not a choice.
    static func from(certificate: String?, key: String?) throws(PluginError) -> TLSFiles? {
        switch (certificate, key) {
        case (nil, nil): return nil
        case (let certificate?, let key?): return TLSFiles(certificate: certificate, key: key)
        default: throw .invalid("invalid_options", "tls_cert and tls_key go together: set both (PEM files) to serve HTTPS, or neither")
        }
    }

    func makeContext() throws(PluginError) -> NIOSSLContext {
        let chain: [NIOSSLCertificate]
        do { chain = try NIOSSLCertificate.fromPEMFile(certificate) } catch {
            throw .invalid("invalid_options", "tls_cert \(certificate) is not a readable PEM certificate: \(error)")
        }
        guard !chain.isEmpty else { throw .invalid("invalid_options", "tls_cert \(certificate) holds no certificate") }
        let privateKey: NIOSSLPrivateKey
        do { privateKey = try NIOSSLPrivateKey(file: key, format: .pem) } catch {
            throw .invalid("invalid_options", "tls_key \(key) is not a readable PEM private key: \(error)")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(privateKey))
        configuration.applicationProtocols = ["http/1.1"]
        do { return try NIOSSLContext(configuration: configuration) } catch {
            throw .invalid(
                "invalid_options",
                "tls_cert \(certificate) and tls_key \(key) cannot serve TLS together (is the key the certificate's?): \(error)")
        }
    }
}
