/**
 * bam deploys every API to this one stage, as BAM! did; `bam dev` serves the local root `/` for
 * the deployed `…/bam/`.
 */
export const STAGE = 'bam';
