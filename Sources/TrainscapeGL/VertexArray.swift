import CGL

/// Float vertex attributes: (shader location, components) in order, interleaved.
struct VertexLayout: Equatable {
  var attributes: [(location: GLuint, components: Int32)]
  /// Bytes per vertex.
  var stride: Int { attributes.reduce(0) { $0 + Int($1.components) } * MemoryLayout<Float>.size }

  init(_ attributes: [(location: GLuint, components: Int32)]) { self.attributes = attributes }

  static func == (a: VertexLayout, b: VertexLayout) -> Bool {
    a.attributes.map(\.location) == b.attributes.map(\.location)
      && a.attributes.map(\.components) == b.attributes.map(\.components)
  }
}

/// A GL buffer whose capacity grows geometrically: a write past the end replaces it by a larger
/// one and copies what it held on the GPU, so appending costs the new data only.
final class GrowableBuffer {
  private(set) var id: GLuint
  /// Bytes the buffer can hold (for buffers written with `write`).
  private(set) var capacity = 0
  /// Times a write found it too small and replaced it by a larger one.
  private(set) var growths = 0

  init(device: GLDevice) { id = device.makeBuffer() }

  /// Replaces the contents and the size (`glBufferData`), bound to `target`.
  func replace(_ bytes: UnsafeRawBufferPointer, target: Int32, usage: Int32) {
    glBufferData(GLenum(target), bytes.count, bytes.baseAddress, GLenum(usage))
  }

  /// Writes `bytes` at byte `offset`, keeping the first `used` bytes when it must grow. Returns
  /// whether it grew (a new buffer id: attribute bindings must be made again).
  @discardableResult
  func write(_ bytes: UnsafeRawBufferPointer, at offset: Int, keeping used: Int, device: GLDevice) -> Bool {
    var grew = false
    if offset + bytes.count > capacity {
      grow(to: offset + bytes.count, keeping: min(used, offset), exactly: false, device: device)
      growths += 1
      grew = true
    }
    glBindBuffer(GLenum(GL_COPY_WRITE_BUFFER), id)
    glBufferSubData(GLenum(GL_COPY_WRITE_BUFFER), offset, bytes.count, bytes.baseAddress)
    glBindBuffer(GLenum(GL_COPY_WRITE_BUFFER), 0)
    return grew
  }

  /// Makes room for `bytes` bytes (a buffer of exactly that size, at least 4096, when it is
  /// smaller), keeping the first `used`. Returns whether it grew.
  @discardableResult
  func reserve(_ bytes: Int, keeping used: Int, device: GLDevice) -> Bool {
    guard bytes > capacity else { return false }
    grow(to: bytes, keeping: used, exactly: true, device: device)
    return true
  }

  /// Replaces the buffer by one of at least `needed` bytes (twice the old capacity or more;
  /// `exactly`: `needed` bytes, at least 4096), copying its first `used` bytes on the GPU.
  private func grow(to needed: Int, keeping used: Int, exactly: Bool, device: GLDevice) {
    let newCapacity = exactly ? max(needed, 4096) : max(needed, capacity * 2, 4096)
    let next = device.makeBuffer()
    glBindBuffer(GLenum(GL_COPY_WRITE_BUFFER), next)
    glBufferData(GLenum(GL_COPY_WRITE_BUFFER), newCapacity, nil, GLenum(GL_DYNAMIC_DRAW))
    if used > 0 {
      glBindBuffer(GLenum(GL_COPY_READ_BUFFER), id)
      glCopyBufferSubData(GLenum(GL_COPY_READ_BUFFER), GLenum(GL_COPY_WRITE_BUFFER), 0, 0, used)
      glBindBuffer(GLenum(GL_COPY_READ_BUFFER), 0)
    }
    glBindBuffer(GLenum(GL_COPY_WRITE_BUFFER), 0)
    device.deleteBuffer(&id)
    id = next
    capacity = newCapacity
  }

  func destroy(on device: GLDevice) { device.deleteBuffer(&id) }
}

/// A vertex array with its vertex buffer and, when indexed, its index buffer: replaced whole
/// (`upload`, for data streamed each frame) or written from a vertex or index on (`write`, for
/// traces that grow).
final class VertexArray {
  private var vao: GLuint
  private let vertices: GrowableBuffer
  private let indices: GrowableBuffer?
  let layout: VertexLayout
  private(set) var vertexCount: Int32 = 0
  private(set) var indexCount: Int32 = 0

  /// Times a write found a buffer too small and replaced it by a larger one.
  var growths: Int { vertices.growths + (indices?.growths ?? 0) }

  init(layout: VertexLayout, indexed: Bool, device: GLDevice) {
    self.layout = layout
    vao = device.makeVertexArray()
    vertices = GrowableBuffer(device: device)
    indices = indexed ? GrowableBuffer(device: device) : nil
    glBindVertexArray(vao)
    glBindBuffer(GLenum(GL_ARRAY_BUFFER), vertices.id)
    for attribute in layout.attributes { glEnableVertexAttribArray(attribute.location) }
    bindAttributes()
    if let indices { glBindBuffer(GLenum(GL_ELEMENT_ARRAY_BUFFER), indices.id) }
    glBindVertexArray(0)
  }

  /// Points the attributes at the vertex buffer bound to GL_ARRAY_BUFFER (the VAO bound).
  private func bindAttributes() {
    var offset = 0
    for attribute in layout.attributes {
      glVertexAttribPointer(
        attribute.location, attribute.components, GLenum(GL_FLOAT), GLboolean(GL_FALSE),
        GLsizei(layout.stride), UnsafeRawPointer(bitPattern: offset))
      offset += Int(attribute.components) * MemoryLayout<Float>.size
    }
  }

  /// Replaces the vertex data (and indices, for an indexed array).
  func upload(vertices v: [Float], indices i: [UInt32]? = nil, usage: Int32 = GL_STATIC_DRAW) {
    glBindVertexArray(vao)
    glBindBuffer(GLenum(GL_ARRAY_BUFFER), vertices.id)
    v.withUnsafeBytes { vertices.replace($0, target: GL_ARRAY_BUFFER, usage: usage) }
    vertexCount = Int32(v.count * MemoryLayout<Float>.size / layout.stride)
    if let i, let indices {
      i.withUnsafeBytes { indices.replace($0, target: GL_ELEMENT_ARRAY_BUFFER, usage: usage) }
      indexCount = Int32(i.count)
    }
    glBindVertexArray(0)
  }

  /// Writes `vertices` from vertex `first` on, keeping the vertices before it; the vertex count
  /// becomes `first` plus the new ones. Returns the bytes uploaded.
  @discardableResult
  func write(vertices v: [Float], from first: Int, device: GLDevice) -> Int {
    let used = Int(vertexCount) * layout.stride
    let grew = v.withUnsafeBytes { vertices.write($0, at: first * layout.stride, keeping: used, device: device) }
    if grew { rebindVertices() }
    vertexCount = Int32(first + v.count * MemoryLayout<Float>.size / layout.stride)
    return v.count * MemoryLayout<Float>.size
  }

  /// Writes `indices` from index `first` on, as `write(vertices:from:)` does for vertices.
  @discardableResult
  func write(indices i: [UInt32], from first: Int, device: GLDevice) -> Int {
    guard let indices else { preconditionFailure("write(indices:) on a vertex array without indices") }
    let size = MemoryLayout<UInt32>.size
    let grew = i.withUnsafeBytes { indices.write($0, at: first * size, keeping: Int(indexCount) * size, device: device) }
    if grew { rebindIndices() }
    indexCount = Int32(first + i.count)
    return i.count * size
  }

  /// Makes room for `vertices` vertices and `indices` indices, keeping what was written:
  /// writes up to those counts then fill the buffers in place, without the copy a growing
  /// buffer costs.
  func reserve(vertices v: Int, indices i: Int, device: GLDevice) {
    if vertices.reserve(v * layout.stride, keeping: Int(vertexCount) * layout.stride, device: device) {
      rebindVertices()
    }
    let size = MemoryLayout<UInt32>.size
    if let indices, indices.reserve(i * size, keeping: Int(indexCount) * size, device: device) {
      rebindIndices()
    }
  }

  private func rebindVertices() {
    glBindVertexArray(vao)
    glBindBuffer(GLenum(GL_ARRAY_BUFFER), vertices.id)
    bindAttributes()
    glBindVertexArray(0)
  }

  private func rebindIndices() {
    glBindVertexArray(vao)
    glBindBuffer(GLenum(GL_ELEMENT_ARRAY_BUFFER), indices!.id)
    glBindVertexArray(0)
  }

  func draw(_ mode: Int32) {
    glBindVertexArray(vao)
    if indices != nil {
      if indexCount > 0 {
        glDrawElements(GLenum(mode), indexCount, GLenum(GL_UNSIGNED_INT), nil)
      }
    } else if vertexCount > 0 {
      glDrawArrays(GLenum(mode), 0, vertexCount)
    }
    glBindVertexArray(0)
  }

  func destroy(on device: GLDevice) {
    indices?.destroy(on: device)
    vertices.destroy(on: device)
    device.deleteVertexArray(&vao)
  }
}
