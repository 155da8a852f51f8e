export function closeLevelIteratorsWithTheirStreams(): void;
export function dynaliteAbstractLevels(): ReadonlySet<unknown>;
