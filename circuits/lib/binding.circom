pragma circom 2.2.3;

include "circomlib/circuits/bitify.circom";

// binding = digit · 2^addressBits + submitter, with submitter range-checked to addressBits bits,
// so no other (digit, submitter) pair can produce the same binding.
template Binding(addressBits) {
    signal input digit;
    signal input submitter;
    signal input binding;
    component address = Num2Bits(addressBits);
    address.in <== submitter;
    binding === digit * (1 << addressBits) + submitter;
}
