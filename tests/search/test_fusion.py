from tokenbase.search.fusion import reciprocal_rank_fusion


def test_rrf_rewards_agreement_between_channels():
    fused = reciprocal_rank_fusion({"lexical": [1, 2, 3], "dense": [3, 4, 1]}, k=60)
    ids = [i for i, _ in fused]
    assert ids[0] in (1, 3) and ids[1] in (1, 3)
    assert set(ids) == {1, 2, 3, 4}


def test_rrf_weights_and_zero_weight_channel():
    fused = reciprocal_rank_fusion({"lexical": [1], "dense": [2]}, {"lexical": 0.0, "dense": 1.0})
    assert [i for i, _ in fused] == [2]
    fused = reciprocal_rank_fusion({"lexical": [1], "dense": [2]}, {"lexical": 2.0, "dense": 1.0})
    assert [i for i, _ in fused] == [1, 2]
