#pragma once

#include "export/exporter.h"
#include "io/safetensorsstream.h"

#include <cstdint>

namespace qs {

/// `--to fake-quant`: a safetensors copy of the checkpoint in which every tensor the plan
/// quantizes holds its dequantized values x̂ (quantizeScheme with the resolved spec and, for the
/// formats usesImportance names, job.importance) in the tensor's own dtype, rounded to nearest
/// even (a GGUF block type is written as F32, the type it decodes to). Every other tensor is
/// copied unchanged.
const Exporter &fakeQuantExporter();

/// What fakeQuantExporter().write(job) does, with the shard limit as a parameter: above
/// shardBytes the output OUT.safetensors becomes shards beside it plus OUT.safetensors.index.json
/// (see SafetensorsStream).
Result<ExportOutcome> writeFakeQuant(const ExportJob &job, std::uint64_t shardBytes = kDefaultShardBytes);

} // namespace qs
