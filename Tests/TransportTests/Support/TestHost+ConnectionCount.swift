extension TestHost {
    /// The open WebSocket connections, as `/health` reports them (nil if it cannot be asked).
    func connectionCount() async -> Int64? {
        try? await RawHTTP.get(port: port, "/health").json?["websocket_connections"]?.intValue
    }
}
