/// `eventually` for conditions that must themselves await (an HTTP request), with a deadline.
func eventuallyAsync(timeout: Duration = .seconds(10), _ condition: () async -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return await condition()
}

extension TestHost {
    func connectionCount() async -> Int64? {
        try? await RawHTTP.get(port: port, "/health").json?["websocket_connections"]?.intValue
    }
}
