// Prior distributions as the API accepts them; `function` is the tag.
export interface PriorConst { function: "const"; value: number }
export interface PriorTrig { function: "trig"; min: number; max: number; mode: number }
export interface PriorNormal { function: "normal"; mean: number; std: number }
export interface PriorLogNormal { function: "lognormal"; mean: number; std: number }
export interface PriorErtTruncNormal { function: "ert_truncnormal"; mean: number; std: number; min: number; max: number }
export interface PriorStdNormal { function: "stdnormal" }
export interface PriorUniform { function: "uniform"; min: number; max: number }
export interface PriorErtDUniform { function: "ert_duniform"; bins: number; min: number; max: number }
export interface PriorLogUniform { function: "loguniform"; min: number; max: number }
export interface PriorErtErf { function: "ert_erf"; min: number; max: number; skewness: number; width: number }
export interface PriorErtDErf { function: "ert_derf"; bins: number; min: number; max: number; skewness: number; width: number }

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
