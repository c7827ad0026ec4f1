import Testing

@Test func placeholder_TrainscapeCoreTests() { #expect(true) }
