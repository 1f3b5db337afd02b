//! ONNX export of a trained network, for the robot: the f32 graph, or the int8 network in the QDQ
//! form ONNX Runtime expects (`QuantizeLinear`/`DequantizeLinear` pairs on every activation grid,
//! `i8` weights with their scales per output channel on axis 0, `i32` biases on the product scale).
//! The int8 file holds exactly the weights and grids SegStudio's own int8 kernels run, so the two
//! agree. Shapes are static (the run's input size); the metadata documents the input.

pub mod export;
pub mod proto;

use prost::Message as _;

use crate::model::graph::{ConvNode, Graph, Op, ValueId};
use crate::model::ops::Act;
use crate::quantize::store::le_f32;
use crate::quantize::{ActQuant, QConv, QuantizedNet};
use proto::{
    AttributeProto, Dimension, GraphProto, ModelProto, NodeProto, OperatorSetIdProto,
    StringStringEntryProto, TensorProto, TensorShapeProto, TensorTypeProto, TypeProto,
    ValueInfoProto, attr_type, dtype,
};

/// Opset 13: per-axis `DequantizeLinear`, `Resize` with `sizes`, `Clip` bounds as inputs.
pub const OPSET: i64 = 13;
/// The IR version that opset 13 shipped with (ONNX 1.8), which every current runtime reads.
pub const IR_VERSION: i64 = 7;

/// The graph's input and output names.
pub const INPUT: &str = "image";
pub const OUTPUT: &str = "logits";

fn tensor(name: &str, dims: &[usize], data_type: i32, raw_data: Vec<u8>) -> TensorProto {
    TensorProto {
        dims: dims.iter().map(|&d| d as i64).collect(),
        data_type,
        name: name.to_owned(),
        raw_data,
    }
}

fn int(name: &str, v: i64) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        i: Some(v),
        r#type: attr_type::INT,
        ..Default::default()
    }
}

fn ints(name: &str, v: &[usize]) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        ints: v.iter().map(|&x| x as i64).collect(),
        r#type: attr_type::INTS,
        ..Default::default()
    }
}

fn string(name: &str, v: &str) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        s: Some(v.as_bytes().to_vec()),
        r#type: attr_type::STRING,
        ..Default::default()
    }
}

fn value_info(name: &str, dims: &[usize]) -> ValueInfoProto {
    ValueInfoProto {
        name: name.into(),
        r#type: Some(TypeProto {
            tensor_type: Some(TensorTypeProto {
                elem_type: dtype::FLOAT,
                shape: Some(TensorShapeProto {
                    dim: dims
                        .iter()
                        .map(|&d| Dimension {
                            dim_value: Some(d as i64),
                        })
                        .collect(),
                }),
            }),
        }),
        doc_string: String::new(),
    }
}

/// Builds the node list and initializers while walking the graph.
struct Writer<'a> {
    graph: &'a Graph,
    int8: Option<&'a QuantizedNet>,
    shapes: Vec<[usize; 4]>,
    nodes: Vec<NodeProto>,
    initializers: Vec<TensorProto>,
}

impl Writer<'_> {
    fn node(
        &mut self,
        op: &str,
        name: &str,
        inputs: &[&str],
        output: &str,
        attribute: Vec<AttributeProto>,
    ) {
        self.nodes.push(NodeProto {
            input: inputs.iter().map(|s| (*s).to_owned()).collect(),
            output: vec![output.to_owned()],
            name: name.to_owned(),
            op_type: op.to_owned(),
            attribute,
            ..Default::default()
        });
    }

    fn init(&mut self, t: TensorProto) -> String {
        let name = t.name.clone();
        self.initializers.push(t);
        name
    }

    /// The name a value is produced under.
    fn produced(&self, v: ValueId) -> String {
        if v == self.graph.output {
            OUTPUT.into()
        } else if v == 0 {
            INPUT.into()
        } else {
            format!("v{v}")
        }
    }

    fn grid(&self, v: ValueId) -> Option<ActQuant> {
        self.int8.and_then(|n| n.acts[v])
    }

    /// The name consumers read a value under: through its quantize/dequantize pair when int8.
    fn read(&self, v: ValueId) -> String {
        match self.grid(v) {
            Some(_) => format!("{}_dq", self.produced(v)),
            None => self.produced(v),
        }
    }

    /// `QuantizeLinear` → `DequantizeLinear` of `name` on grid `g`, read back as `{name}_dq`.
    fn qdq(&mut self, name: &str, g: ActQuant) {
        let scale = self.init(tensor(
            &format!("{name}_scale"),
            &[],
            dtype::FLOAT,
            le_f32(&[g.scale]),
        ));
        let zero = self.init(tensor(
            &format!("{name}_zero"),
            &[],
            dtype::UINT8,
            vec![g.zero_point],
        ));
        let q = format!("{name}_q");
        self.node("QuantizeLinear", &q, &[name, &scale, &zero], &q, vec![]);
        self.node(
            "DequantizeLinear",
            &format!("{name}_dq"),
            &[&q, &scale, &zero],
            &format!("{name}_dq"),
            vec![],
        );
    }

    fn conv(&mut self, v: ValueId, c: &ConvNode, q: Option<&QConv>) -> Result<(), String> {
        let s = c.spec;
        let name = &c.name;
        let mut x = self.read(c.input);
        if c.input_act != Act::None {
            let relu = format!("{name}.input_relu");
            self.node("Relu", &relu, &[&x], &relu, vec![]);
            // A ReLU of a grid value stays on the grid; the pair keeps the conv's input quantized.
            x = match self.grid(c.input) {
                Some(g) => {
                    self.qdq(&relu, g);
                    format!("{relu}_dq")
                }
                None => relu,
            };
        }
        let (weight, bias) = match q {
            None => {
                let w = c
                    .weight
                    .flatten_all()
                    .and_then(|t| t.to_vec1::<f32>())
                    .map_err(|e| e.to_string())?;
                let b = c.bias.to_vec1::<f32>().map_err(|e| e.to_string())?;
                let (a, bb, k1, k2) = s.weight_shape();
                (
                    self.init(tensor(
                        &format!("{name}.weight"),
                        &[a, bb, k1, k2],
                        dtype::FLOAT,
                        le_f32(&w),
                    )),
                    self.init(tensor(
                        &format!("{name}.bias"),
                        &[s.cout],
                        dtype::FLOAT,
                        le_f32(&b),
                    )),
                )
            }
            Some(q) => self.int8_params(c, q)?,
        };
        let group = if s.depthwise { s.cin } else { 1 };
        let p = s.params();
        let conv_out = match (c.act, c.residual) {
            (Act::None, None) => self.produced(v),
            _ => format!("{name}.conv"),
        };
        self.node(
            "Conv",
            name,
            &[&x, &weight, &bias],
            &conv_out,
            vec![
                ints("kernel_shape", &[s.k, s.k]),
                ints("strides", &[p.stride, p.stride]),
                ints("pads", &[p.padding; 4]),
                ints("dilations", &[p.dilation, p.dilation]),
                int("group", group as i64),
            ],
        );
        let mut y = conv_out;
        let after_act = if c.residual.is_some() {
            format!("{name}.act")
        } else {
            self.produced(v)
        };
        match c.act {
            Act::None => {}
            Act::Relu => {
                self.node("Relu", &format!("{name}.relu"), &[&y], &after_act, vec![]);
                y = after_act;
            }
            Act::Relu6 => {
                let lo = self.init(tensor(
                    &format!("{name}.clip_min"),
                    &[],
                    dtype::FLOAT,
                    le_f32(&[0.0]),
                ));
                let hi = self.init(tensor(
                    &format!("{name}.clip_max"),
                    &[],
                    dtype::FLOAT,
                    le_f32(&[6.0]),
                ));
                self.node(
                    "Clip",
                    &format!("{name}.relu6"),
                    &[&y, &lo, &hi],
                    &after_act,
                    vec![],
                );
                y = after_act;
            }
        }
        if let Some(r) = c.residual {
            let r = self.read(r);
            self.node(
                "Add",
                &format!("{name}.residual"),
                &[&y, &r],
                &self.produced(v),
                vec![],
            );
        }
        Ok(())
    }

    /// The int8 weight and bias behind their `DequantizeLinear` nodes; returns their f32 names.
    fn int8_params(&mut self, c: &ConvNode, q: &QConv) -> Result<(String, String), String> {
        let s = c.spec;
        let name = &c.name;
        let x = self
            .grid(c.input)
            .ok_or_else(|| format!("{name}: its input has no grid"))?;
        let (a, b, k1, k2) = s.weight_shape();
        let per_channel = q.weight.scales.len() > 1;
        let scale_dims: &[usize] = if per_channel { &[s.cout] } else { &[] };
        let wq = self.init(tensor(
            &format!("{name}.weight_q"),
            &[a, b, k1, k2],
            dtype::INT8,
            q.weight.data.iter().map(|&v| v as u8).collect(),
        ));
        let ws = self.init(tensor(
            &format!("{name}.weight_scale"),
            scale_dims,
            dtype::FLOAT,
            le_f32(&q.weight.scales),
        ));
        let wz = self.init(tensor(
            &format!("{name}.weight_zero"),
            scale_dims,
            dtype::INT8,
            vec![0; q.weight.scales.len()],
        ));
        let weight = format!("{name}.weight");
        let axis = if per_channel {
            vec![int("axis", 0)]
        } else {
            vec![]
        };
        self.node("DequantizeLinear", &weight, &[&wq, &ws, &wz], &weight, axis);
        let bias_scale: Vec<f32> = (0..s.cout).map(|co| x.scale * q.weight.scale(co)).collect();
        let bq = self.init(tensor(
            &format!("{name}.bias_q"),
            &[s.cout],
            dtype::INT32,
            q.bias.iter().flat_map(|v| v.to_le_bytes()).collect(),
        ));
        let bs = self.init(tensor(
            &format!("{name}.bias_scale"),
            &[s.cout],
            dtype::FLOAT,
            le_f32(&bias_scale),
        ));
        let bz = self.init(tensor(
            &format!("{name}.bias_zero"),
            &[s.cout],
            dtype::INT32,
            vec![0; 4 * s.cout],
        ));
        let bias = format!("{name}.bias");
        self.node(
            "DequantizeLinear",
            &bias,
            &[&bq, &bs, &bz],
            &bias,
            vec![int("axis", 0)],
        );
        Ok((weight, bias))
    }

    fn shape_const(&mut self, name: &str, dims: [usize; 4]) -> String {
        let bytes = dims
            .iter()
            .flat_map(|&d| (d as i64).to_le_bytes())
            .collect();
        self.init(tensor(name, &[4], dtype::INT64, bytes))
    }

    fn write(&mut self) -> Result<(), String> {
        if let Some(g) = self.grid(0) {
            self.qdq(INPUT, g);
        }
        let qconvs: Vec<&QConv> = self.int8.map(|n| n.convs().collect()).unwrap_or_default();
        let mut next_conv = 0;
        for (i, op) in self.graph.nodes.iter().enumerate() {
            let v = i + 1;
            let out = self.produced(v);
            match op {
                Op::Conv(c) => {
                    let q = qconvs.get(next_conv).copied();
                    next_conv += 1;
                    if self.int8.is_some() && q.is_none_or(|q| q.name != c.name) {
                        return Err(format!(
                            "{}: the int8 network does not match the graph",
                            c.name
                        ));
                    }
                    self.conv(v, c, q)?;
                }
                Op::GlobalAvgPool(x) => {
                    let x = self.read(*x);
                    self.node(
                        "GlobalAveragePool",
                        &format!("pool_{v}"),
                        &[&x],
                        &out,
                        vec![],
                    );
                }
                Op::Broadcast { input, .. } => {
                    let shape = self.shape_const(&format!("{out}_shape"), self.shapes[v]);
                    let x = self.read(*input);
                    self.node(
                        "Expand",
                        &format!("broadcast_{v}"),
                        &[&x, &shape],
                        &out,
                        vec![],
                    );
                }
                Op::Concat(xs) => {
                    let names: Vec<String> = xs.iter().map(|&x| self.read(x)).collect();
                    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
                    self.node(
                        "Concat",
                        &format!("concat_{v}"),
                        &refs,
                        &out,
                        vec![int("axis", 1)],
                    );
                }
                Op::Resize { input, .. } => {
                    let sizes = self.shape_const(&format!("{out}_sizes"), self.shapes[v]);
                    let x = self.read(*input);
                    self.node(
                        "Resize",
                        &format!("resize_{v}"),
                        &[&x, "", "", &sizes],
                        &out,
                        vec![
                            string("mode", "linear"),
                            string("coordinate_transformation_mode", "align_corners"),
                        ],
                    );
                }
            }
            if let Some(g) = self.grid(v) {
                self.qdq(&out, g);
            }
        }
        Ok(())
    }
}

/// The ONNX model of `graph` at input size `h`×`w` (batch 1): f32, or with `int8` the QDQ network.
/// `metadata` goes into the model's `metadata_props`.
pub fn model(
    graph: &Graph,
    int8: Option<&QuantizedNet>,
    (h, w): (usize, usize),
    metadata: &[(String, String)],
) -> Result<ModelProto, String> {
    // Every value's shape, from one pass over a blank input.
    let mut shapes = vec![[0usize; 4]; graph.nodes.len() + 1];
    let x = candle_core::Tensor::zeros(
        (1, 3, h, w),
        candle_core::DType::F32,
        &candle_core::Device::Cpu,
    )
    .map_err(|e| e.to_string())?;
    graph
        .run_f32(&x, |v, t| {
            let (a, b, c, d) = t.dims4()?;
            shapes[v] = [a, b, c, d];
            Ok(())
        })
        .map_err(|e| e.to_string())?;
    let mut writer = Writer {
        graph,
        int8,
        shapes,
        nodes: Vec::new(),
        initializers: Vec::new(),
    };
    writer.write()?;
    let out_shape = writer.shapes[graph.output];
    Ok(ModelProto {
        ir_version: IR_VERSION,
        producer_name: "segstudio".into(),
        producer_version: env!("CARGO_PKG_VERSION").into(),
        graph: Some(GraphProto {
            node: writer.nodes,
            name: "deeplab".into(),
            initializer: writer.initializers,
            input: vec![value_info(INPUT, &[1, 3, h, w])],
            output: vec![value_info(OUTPUT, &out_shape)],
            ..Default::default()
        }),
        opset_import: vec![OperatorSetIdProto {
            domain: String::new(),
            version: OPSET,
        }],
        metadata_props: metadata
            .iter()
            .map(|(k, v)| StringStringEntryProto {
                key: k.clone(),
                value: v.clone(),
            })
            .collect(),
        ..Default::default()
    })
}

/// The model as bytes.
pub fn encode(model: &ModelProto) -> Vec<u8> {
    model.encode_to_vec()
}
