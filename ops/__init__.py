"""Operations tooling: production-shaped local stacks for fault tests and load benchmarks."""
