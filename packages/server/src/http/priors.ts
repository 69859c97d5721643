// Prior distributions as the API accepts them; `function` is the tag.
import type { Float64 } from "./types";

export interface PriorConst { function: "const"; value: Float64 }
export interface PriorTrig { function: "trig"; min: Float64; max: Float64; mode: Float64 }
export interface PriorNormal { function: "normal"; mean: Float64; std: Float64 }
export interface PriorLogNormal { function: "lognormal"; mean: Float64; std: Float64 }
export interface PriorErtTruncNormal { function: "ert_truncnormal"; mean: Float64; std: Float64; min: Float64; max: Float64 }
export interface PriorStdNormal { function: "stdnormal" }
export interface PriorUniform { function: "uniform"; min: Float64; max: Float64 }
export interface PriorErtDUniform { function: "ert_duniform"; bins: Float64; min: Float64; max: Float64 }
export interface PriorLogUniform { function: "loguniform"; min: Float64; max: Float64 }
export interface PriorErtErf { function: "ert_erf"; min: Float64; max: Float64; skewness: Float64; width: Float64 }
export interface PriorErtDErf { function: "ert_derf"; bins: Float64; min: Float64; max: Float64; skewness: Float64; width: Float64 }

export type Prior =
  | PriorConst
  | PriorTrig
  | PriorNormal
  | PriorLogNormal
  | PriorErtTruncNormal
  | PriorStdNormal
  | PriorUniform
  | PriorErtDUniform
  | PriorLogUniform
  | PriorErtErf
  | PriorErtDErf;
