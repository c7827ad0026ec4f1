import Testing

@Test func placeholder_TrainscapeRenderTests() { #expect(true) }
