import Testing

@Test func placeholder_TrainscapeIOTests() { #expect(true) }
