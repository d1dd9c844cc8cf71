// Layer index and role of a tensor from its name, as the layer chart places and colours it. The
// names are those the converters write: Hugging Face transformers (Llama, Mixtral, GPT-2, GPT-NeoX,
// BERT, Phi), Meta's original Llama checkpoints, and llama.cpp's GGUF tensor map (gguf-py's
// constants.py TENSOR_NAMES).

#include "analysis/tensorrole.h"

#include <QTest>

#include <optional>
#include <string>

using qs::TensorRole;

Q_DECLARE_METATYPE(TensorRole)

class TestTensorRole : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void names_data();
    void names();
    void layerIndexEdgeCases_data();
    void layerIndexEdgeCases();
    void roleNames();
};

namespace {

void row(const char *name, int layer, TensorRole role) {
    QTest::addRow("%s", name) << QString::fromLatin1(name) << layer << role;
}

} // namespace

// layer -1: the name has no layer index.
void TestTensorRole::names_data() {
    QTest::addColumn<QString>("name");
    QTest::addColumn<int>("layer");
    QTest::addColumn<TensorRole>("role");
    // Hugging Face Llama family.
    row("model.embed_tokens.weight", -1, TensorRole::Embedding);
    row("model.layers.0.self_attn.q_proj.weight", 0, TensorRole::Q);
    row("model.layers.1.self_attn.k_proj.weight", 1, TensorRole::K);
    row("model.layers.12.self_attn.v_proj.weight", 12, TensorRole::V);
    row("model.layers.31.self_attn.o_proj.weight", 31, TensorRole::O);
    row("model.layers.3.self_attn.q_proj.bias", 3, TensorRole::Q);
    row("model.layers.2.mlp.gate_proj.weight", 2, TensorRole::Gate);
    row("model.layers.2.mlp.up_proj.weight", 2, TensorRole::Up);
    row("model.layers.100.mlp.down_proj.weight", 100, TensorRole::Down);
    row("model.layers.4.input_layernorm.weight", 4, TensorRole::Other);
    row("model.layers.4.self_attn.q_norm.weight", 4, TensorRole::Other); // Qwen3: a norm, not q
    row("model.norm.weight", -1, TensorRole::Other);
    row("lm_head.weight", -1, TensorRole::Head);
    // Fused projections: the ten roles have none for them.
    row("model.layers.5.self_attn.qkv_proj.weight", 5, TensorRole::Other);
    row("model.layers.5.mlp.gate_up_proj.weight", 5, TensorRole::Other);
    // Mixture of experts: an expert takes its projection's role; the router is other.
    row("model.layers.7.mlp.experts.63.gate_proj.weight", 7, TensorRole::Gate);
    row("model.layers.7.mlp.experts.0.down_proj.weight", 7, TensorRole::Down);
    row("model.layers.7.mlp.gate.weight", 7, TensorRole::Other);
    row("model.layers.7.block_sparse_moe.experts.3.w1.weight", 7, TensorRole::Gate);
    row("model.layers.7.block_sparse_moe.experts.3.w2.weight", 7, TensorRole::Down);
    row("model.layers.7.block_sparse_moe.experts.3.w3.weight", 7, TensorRole::Up);
    row("model.layers.7.block_sparse_moe.gate.weight", 7, TensorRole::Other);
    // Meta's original Llama checkpoints.
    row("tok_embeddings.weight", -1, TensorRole::Embedding);
    row("layers.9.attention.wq.weight", 9, TensorRole::Q);
    row("layers.9.attention.wk.weight", 9, TensorRole::K);
    row("layers.9.attention.wv.weight", 9, TensorRole::V);
    row("layers.9.attention.wo.weight", 9, TensorRole::O);
    row("layers.9.feed_forward.w1.weight", 9, TensorRole::Gate);
    row("layers.9.feed_forward.w2.weight", 9, TensorRole::Down);
    row("layers.9.feed_forward.w3.weight", 9, TensorRole::Up);
    row("output.weight", -1, TensorRole::Head);
    // GPT-2: c_proj is the attention's output or the MLP's down projection, as its parent says.
    row("transformer.wte.weight", -1, TensorRole::Embedding);
    row("transformer.wpe.weight", -1, TensorRole::Embedding);
    row("transformer.h.0.attn.c_attn.weight", 0, TensorRole::Other);
    row("transformer.h.0.attn.c_proj.weight", 0, TensorRole::O);
    row("transformer.h.11.mlp.c_fc.weight", 11, TensorRole::Up);
    row("transformer.h.11.mlp.c_proj.weight", 11, TensorRole::Down);
    row("h.3.mlp.c_proj.weight", 3, TensorRole::Down); // without the transformer. prefix
    // GPT-NeoX, BERT, Phi: "dense" likewise.
    row("gpt_neox.layers.2.attention.query_key_value.weight", 2, TensorRole::Other);
    row("gpt_neox.layers.2.attention.dense.weight", 2, TensorRole::O);
    row("gpt_neox.layers.2.mlp.dense_h_to_4h.weight", 2, TensorRole::Up);
    row("gpt_neox.layers.2.mlp.dense_4h_to_h.weight", 2, TensorRole::Down);
    row("embed_out.weight", -1, TensorRole::Head);
    row("bert.embeddings.word_embeddings.weight", -1, TensorRole::Embedding);
    row("bert.encoder.layer.6.attention.self.query.weight", 6, TensorRole::Q);
    row("bert.encoder.layer.6.attention.self.key.weight", 6, TensorRole::K);
    row("bert.encoder.layer.6.attention.self.value.weight", 6, TensorRole::V);
    row("bert.encoder.layer.6.attention.output.dense.weight", 6, TensorRole::O);
    row("bert.encoder.layer.6.intermediate.dense.weight", 6, TensorRole::Up);
    row("bert.encoder.layer.6.output.dense.weight", 6, TensorRole::Down);
    row("bert.encoder.layer.6.output.LayerNorm.weight", 6, TensorRole::Other);
    row("model.layers.8.self_attn.dense.weight", 8, TensorRole::O); // Phi-2
    row("model.layers.8.mlp.fc1.weight", 8, TensorRole::Up);
    row("model.layers.8.mlp.fc2.weight", 8, TensorRole::Down);
    row("transformer.blocks.4.ffn.down_proj.weight", 4, TensorRole::Down);       // MPT
    row("model.decoder.layers.4.self_attn.out_proj.weight", 4, TensorRole::O);   // OPT
    row("encoder.block.2.layer.0.SelfAttention.q.weight", 2, TensorRole::Other); // T5 letters: unknown
    row("encoder.block.2.layer.1.DenseReluDense.wo.weight", 2, TensorRole::Down);
    // GGUF (llama.cpp).
    row("token_embd.weight", -1, TensorRole::Embedding);
    row("blk.0.attn_q.weight", 0, TensorRole::Q);
    row("blk.0.attn_k.weight", 0, TensorRole::K);
    row("blk.0.attn_v.weight", 0, TensorRole::V);
    row("blk.0.attn_output.weight", 0, TensorRole::O);
    row("blk.15.ffn_gate.weight", 15, TensorRole::Gate);
    row("blk.15.ffn_up.weight", 15, TensorRole::Up);
    row("blk.15.ffn_down.weight", 15, TensorRole::Down);
    row("blk.15.attn_norm.weight", 15, TensorRole::Other);
    row("blk.15.attn_q_norm.weight", 15, TensorRole::Other);
    row("blk.15.attn_qkv.weight", 15, TensorRole::Other);
    row("blk.3.ffn_gate_exps.weight", 3, TensorRole::Gate);
    row("blk.3.ffn_up_exps.weight", 3, TensorRole::Up);
    row("blk.3.ffn_down_exps.weight", 3, TensorRole::Down);
    row("blk.3.ffn_gate_shexp.weight", 3, TensorRole::Gate);
    row("blk.3.ffn_gate_inp.weight", 3, TensorRole::Other); // the router
    row("output_norm.weight", -1, TensorRole::Other);
    row("output.weight", -1, TensorRole::Head);
    row("BLK.2.ATTN_Q.WEIGHT", 2, TensorRole::Q); // case does not matter
}

void TestTensorRole::names() {
    QFETCH(QString, name);
    QFETCH(int, layer);
    QFETCH(TensorRole, role);
    const std::string text = name.toStdString();
    QCOMPARE(qs::layerIndexOf(text), layer < 0 ? std::nullopt : std::optional<int>(layer));
    QCOMPARE(int(qs::tensorRoleOf(text)), int(role));
}

void TestTensorRole::layerIndexEdgeCases_data() {
    QTest::addColumn<QString>("name");
    QTest::addColumn<int>("layer");
    QTest::addRow("first of two") << QStringLiteral("decoder.block.5.layer.1.weight") << 5;
    QTest::addRow("leading zeros") << QStringLiteral("blk.007.attn_norm.weight") << 7;
    QTest::addRow("not a number") << QStringLiteral("layers.x.weight") << -1;
    QTest::addRow("number glued on") << QStringLiteral("layers3.weight") << -1;
    QTest::addRow("only inside a word") << QStringLiteral("sublayers.3.weight") << -1;
    QTest::addRow("ten digits") << QStringLiteral("layers.1234567890.weight") << -1;
    QTest::addRow("nine digits") << QStringLiteral("layers.123456789.weight") << 123456789;
    QTest::addRow("nothing after") << QStringLiteral("model.layers") << -1;
    QTest::addRow("empty") << QString() << -1;
    QTest::addRow("dots only") << QStringLiteral("..") << -1;
}

void TestTensorRole::layerIndexEdgeCases() {
    QFETCH(QString, name);
    QFETCH(int, layer);
    QCOMPARE(qs::layerIndexOf(name.toStdString()), layer < 0 ? std::nullopt : std::optional<int>(layer));
    QCOMPARE(int(qs::tensorRoleOf(name.toStdString())), int(TensorRole::Other));
}

void TestTensorRole::roleNames() {
    const char *const expected[qs::kTensorRoleCount] = {"q",  "k",    "v",         "o",    "gate",
                                                        "up", "down", "embedding", "head", "other"};
    for (int role = 0; role < qs::kTensorRoleCount; ++role)
        QCOMPARE(std::string(qs::tensorRoleName(TensorRole(role))), std::string(expected[role]));
}

QTEST_GUILESS_MAIN(TestTensorRole)
#include "tst_tensorrole.moc"
