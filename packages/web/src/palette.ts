// Okabe-Ito: a palette told apart with every common colour-vision deficiency.
export const OKABE_ITO = {
  orange: "#E69F00",
  skyBlue: "#56B4E9",
  bluishGreen: "#009E73",
  yellow: "#F0E442",
  blue: "#0072B2",
  vermillion: "#D55E00",
  reddishPurple: "#CC79A7",
  black: "#000000",
};

/** The first ensemble shown (the prior) and the second (the posterior). */
export const ENSEMBLE_COLOURS = [OKABE_ITO.orange, OKABE_ITO.blue];
export const OBSERVATION_COLOUR = OKABE_ITO.black;
export const PRIOR_DENSITY_COLOUR = OKABE_ITO.vermillion;

export function withAlpha(hex: string, alpha: number): string {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}
