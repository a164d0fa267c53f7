/**
 * The WGSL of the layer kernels that src/ops/device-conv-ops.ts launches
 * (convolution, pooling, batch and layer norm, cat), by pipeline key. The
 * op layer reaches it through `WebGpuKernels.layerWgsl`, so that the
 * sources load with the webgpu backend's chunk, on demand, rather than
 * with the library on every backend.
 */
import { batchNormApplyWgsl, batchNormGradSumsWgsl, batchNormInputGradWgsl, batchNormStatsWgsl } from "./batch-norm-wgsl.js";
import { catPartWgsl, channelsToImagesWgsl, col2imWgsl, im2colWgsl, imagesToChannelsWgsl } from "./conv-wgsl.js";
import { layerNormForwardWgsl, layerNormInputGradWgsl, layerNormParamGradWgsl } from "./layer-norm-wgsl.js";
import { maxPoolBackwardWgsl, maxPoolTakeWgsl, maxPoolWgsl, windowAverageTransposeWgsl, windowAverageWgsl } from "./pool-wgsl.js";

export const layerWgsl = {
  "conv:im2col": im2colWgsl,
  "conv:col2im": col2imWgsl,
  "conv:channelsToImages": channelsToImagesWgsl,
  "conv:imagesToChannels": imagesToChannelsWgsl,
  "pool:max": maxPoolWgsl,
  "pool:maxBackward": maxPoolBackwardWgsl,
  "pool:maxTake": maxPoolTakeWgsl,
  "pool:avg": windowAverageWgsl,
  "pool:avgTranspose": windowAverageTransposeWgsl,
  "batchNorm:stats": batchNormStatsWgsl,
  "batchNorm:apply": batchNormApplyWgsl,
  "batchNorm:gradSums": batchNormGradSumsWgsl,
  "batchNorm:inputGrad": batchNormInputGradWgsl,
  "layerNorm:forward": layerNormForwardWgsl,
  "layerNorm:inputGrad": layerNormInputGradWgsl,
  "layerNorm:paramGrad": layerNormParamGradWgsl,
  "cat:part": catPartWgsl,
} satisfies Record<string, () => string>;

/** A layer kernel's pipeline key. */
export type LayerKernel = keyof typeof layerWgsl;
