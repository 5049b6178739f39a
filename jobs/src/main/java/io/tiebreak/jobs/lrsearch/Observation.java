package io.tiebreak.jobs.lrsearch;

/** A finished trial as samplers see it: its learning rate and objective (test accuracy; NaN when it diverged). */
public record Observation(double lr, double objective) {}
