#include "io/tensornames.h"

#include <QTest>

#include <optional>
#include <string>

using namespace qs;

class TestTensorNames : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void bothWays_data();
    void bothWays();
    void notLlama_data();
    void notLlama();
};

// Pairs from llama.cpp's convert_hf_to_gguf.py tensor map for LLaMA (MODEL_ARCH.LLAMA).
void TestTensorNames::bothWays_data() {
    QTest::addColumn<QString>("hf");
    QTest::addColumn<QString>("gguf");
    const auto row = [](const char *hf, const char *gguf) {
        QTest::addRow("%s", hf) << QString::fromLatin1(hf) << QString::fromLatin1(gguf);
    };
    row("model.embed_tokens.weight", "token_embd.weight");
    row("model.norm.weight", "output_norm.weight");
    row("lm_head.weight", "output.weight");
    row("model.layers.0.self_attn.q_proj.weight", "blk.0.attn_q.weight");
    row("model.layers.1.self_attn.k_proj.weight", "blk.1.attn_k.weight");
    row("model.layers.12.self_attn.v_proj.weight", "blk.12.attn_v.weight");
    row("model.layers.31.self_attn.o_proj.weight", "blk.31.attn_output.weight");
    row("model.layers.2.mlp.gate_proj.weight", "blk.2.ffn_gate.weight");
    row("model.layers.2.mlp.up_proj.weight", "blk.2.ffn_up.weight");
    row("model.layers.2.mlp.down_proj.weight", "blk.2.ffn_down.weight");
    row("model.layers.40.input_layernorm.weight", "blk.40.attn_norm.weight");
    row("model.layers.40.post_attention_layernorm.weight", "blk.40.ffn_norm.weight");
    row("model.layers.3.self_attn.q_proj.bias", "blk.3.attn_q.bias"); // Qwen2-style biases
    row("model.layers.100.mlp.down_proj.weight", "blk.100.ffn_down.weight");
}

void TestTensorNames::bothWays() {
    QFETCH(QString, hf);
    QFETCH(QString, gguf);
    const auto toGguf = hfToGguf(hf.toStdString());
    QVERIFY(toGguf);
    QCOMPARE(QString::fromStdString(*toGguf), gguf);
    const auto toHf = ggufToHf(gguf.toStdString());
    QVERIFY(toHf);
    QCOMPARE(QString::fromStdString(*toHf), hf);
    // A name already on the target side is not mapped again.
    QVERIFY(!hfToGguf(gguf.toStdString()));
    QVERIFY(!ggufToHf(hf.toStdString()));
}

void TestTensorNames::notLlama_data() {
    QTest::addColumn<QString>("name");
    const auto row = [](const char *name) { QTest::addRow("%s", name) << QString::fromLatin1(name); };
    row("");
    row("weight");
    row("model.embed_tokens");                            // no parameter suffix
    row("model.layers.0.self_attn.q_proj.scales");        // not a weight or bias
    row("model.layers.0.self_attn.rotary_emb.inv_freq");  // llama.cpp drops it
    row("model.layers.0.mlp.experts.3.gate_proj.weight"); // per-expert HF tensors: not Llama
    row("transformer.h.0.attn.c_attn.weight");            // GPT-2
    row("model.layers.01.self_attn.q_proj.weight");       // one spelling per layer number
    row("model.layers.x.self_attn.q_proj.weight");
    row("model.layers.-1.self_attn.q_proj.weight");
    row("model.layers.1234567.self_attn.q_proj.weight"); // beyond any real depth
    row("model.layers.0.self_attn.q_proj.weight.extra");
    row("blk.0.attn_qkv.weight"); // fused QKV has no Llama counterpart
    row("blk.0.ffn_gate_exps.weight");
    row("blk.0.attn_q");
    row("blk..attn_q.weight");
    row("x.model.layers.0.self_attn.q_proj.weight");
}

void TestTensorNames::notLlama() {
    QFETCH(QString, name);
    QVERIFY(!hfToGguf(name.toStdString()));
    QVERIFY(!ggufToHf(name.toStdString()));
}

QTEST_GUILESS_MAIN(TestTensorNames)
#include "tst_tensornames.moc"
