/**
 * The rounding scores as an ONNX graph built in memory: `scores = x · Eᵀ + c` (one Gemm), with x [P, d], E [V, d]
 * and c = −½‖E_v‖² [V], so onnxruntime's matrix kernels compute the score rows that constrained rounding reads (a
 * row of 16 000 dot products costs milliseconds in JavaScript). The package's rounding.onnx returns only the
 * argmax ids, and packages stay as they are: the engine makes this graph itself. The bytes are the ONNX protobuf
 * (onnx.proto3: ModelProto, GraphProto, NodeProto, ValueInfoProto), written field by field — a few dozen bytes.
 */

/** Field numbers of onnx.proto3 used here. */
const F = {
  model: { irVersion: 1, graph: 7, opsetImport: 8 },
  opset: { domain: 1, version: 2 },
  graph: { node: 1, name: 2, input: 11, output: 12 },
  node: { input: 1, output: 2, opType: 4, attribute: 5 },
  attribute: { name: 1, i: 3, type: 20 },
  valueInfo: { name: 1, type: 2 },
  type: { tensorType: 1 },
  tensor: { elemType: 1, shape: 2 },
  shape: { dim: 1 },
  dim: { value: 1, param: 2 },
} as const;
const ATTRIBUTE_INT = 2;
const FLOAT = 1;

function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}

const int = (field: number, v: number): number[] => [...varint(field << 3), ...varint(v)];
const bytes = (field: number, b: number[]): number[] => [...varint((field << 3) | 2), ...varint(b.length), ...b];
const str = (field: number, s: string): number[] => bytes(field, [...Buffer.from(s, 'utf8')]);

/** A float tensor value; a dimension is a number (fixed) or a name (dynamic). */
function valueInfo(name: string, dims: (number | string)[]): number[] {
  const shape = dims.flatMap((d) => bytes(F.shape.dim, typeof d === 'number' ? int(F.dim.value, d) : str(F.dim.param, d)));
  const tensor = [...int(F.tensor.elemType, FLOAT), ...bytes(F.tensor.shape, shape)];
  return [...str(F.valueInfo.name, name), ...bytes(F.valueInfo.type, bytes(F.type.tensorType, tensor))];
}

/** The graph's input and output names. */
export const SCORES_GRAPH = { x: 'x', embedding: 'embedding', bias: 'bias', scores: 'scores' } as const;

/** The ONNX model bytes of `scores [P, V] = Gemm(x [P, d], embedding [V, d], bias [V], transB = 1)`. */
export function scoresGraphBytes(): Uint8Array {
  const g = SCORES_GRAPH;
  const node = [
    ...str(F.node.input, g.x),
    ...str(F.node.input, g.embedding),
    ...str(F.node.input, g.bias),
    ...str(F.node.output, g.scores),
    ...str(F.node.opType, 'Gemm'),
    ...bytes(F.node.attribute, [...str(F.attribute.name, 'transB'), ...int(F.attribute.i, 1), ...int(F.attribute.type, ATTRIBUTE_INT)]),
  ];
  const graph = [
    ...bytes(F.graph.node, node),
    ...str(F.graph.name, 'rounding_scores'),
    ...bytes(F.graph.input, valueInfo(g.x, ['P', 'd'])),
    ...bytes(F.graph.input, valueInfo(g.embedding, ['V', 'd'])),
    ...bytes(F.graph.input, valueInfo(g.bias, ['V'])),
    ...bytes(F.graph.output, valueInfo(g.scores, ['P', 'V'])),
  ];
  const model = [
    ...int(F.model.irVersion, 8),
    ...bytes(F.model.graph, graph),
    ...bytes(F.model.opsetImport, [...str(F.opset.domain, ''), ...int(F.opset.version, 13)]),
  ];
  return Uint8Array.from(model);
}
